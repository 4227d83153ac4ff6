// Runs upload.js under Node against a test server (see client_test.go). One run is one
// page load: it may pause part-way (the page goes away) and a later run resumes.
"use strict";
const fs = require("fs");
const vm = require("vm");

const env = process.env;
vm.runInThisContext(fs.readFileSync(env.CLIENT_JS, "utf8"), { filename: "upload.js" });

// localStorage that survives between runs, like the browser's.
const storageFile = env.STORAGE_FILE;
const load = () => (fs.existsSync(storageFile) ? JSON.parse(fs.readFileSync(storageFile, "utf8")) : {});
const storage = {
  getItem: (k) => (k in load() ? load()[k] : null),
  setItem: (k, v) => { const s = load(); s[k] = String(v); fs.writeFileSync(storageFile, JSON.stringify(s)); },
  removeItem: (k) => { const s = load(); delete s[k]; fs.writeFileSync(storageFile, JSON.stringify(s)); },
};

const file = new File([fs.readFileSync(env.DATA_FILE)], "recording.mp4", { type: "video/mp4", lastModified: 1700000000000 });
const pauseAt = Number(env.PAUSE_AT || "0");
let progressEvents = 0, lastPercent = -1, monotonic = true, retries = 0, sawEta = false;

const up = new InoculateUpload.Upload(file, {
  endpoint: env.ENDPOINT,
  storage,
  baseDelay: 5,
  maxDelay: 50,
  onRetry: () => { retries++; },
  onProgress: (p) => {
    progressEvents++;
    if (p.percent < lastPercent) monotonic = false;
    lastPercent = p.percent;
    if (p.eta !== null) sawEta = true;
    if (pauseAt && p.loaded >= pauseAt) up.pause();
  },
});
up.start().then(
  (r) => { console.log(JSON.stringify({ done: true, id: r.id, progressEvents, lastPercent, monotonic, retries, sawEta })); },
  (err) => { console.log(JSON.stringify({ done: false, error: err.message, status: err.status, lastPercent, retries })); }
);
