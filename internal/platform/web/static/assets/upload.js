// Resumable chunked upload, the browser side of internal/platform/upload.
//
// Served as a static file; it works under a strict CSP (no eval, no inline code, no
// HTML written: only textContent, value and attributes). Usage:
//
//   const up = InoculateUpload.start(file, {
//     endpoint: "/api/testimonies/uploads",       // the Create URL
//     onProgress: (p) => { ... p.loaded, p.total, p.percent, p.rate, p.eta ... },
//   });
//   up.promise.then(({id}) => ...).catch((err) => ... err.status ...);
//   up.pause(); up.resume(); up.cancel();
//
// Or declaratively: an element with data-upload-endpoint containing an
// <input type="file">, optionally a <progress data-upload-progress>, and elements with
// data-upload-percent and data-upload-eta for text. It fires upload:progress,
// upload:complete and upload:error events (detail as above) for the page to render
// messages in the user's language.
//
// The file is sliced into chunks and PUT in order with Content-Range. Network errors,
// 5xx and 429 are retried with exponential backoff and jitter (and at once when the
// browser comes back online); a 409 moves to the offset the server gives. The upload's
// URL is remembered in localStorage under a SHA-256 of the endpoint and the file's
// name, size, type and date (never the name itself), so choosing the same file after
// a reload or a crash asks the server for its offset (HEAD) and continues from there.
(function (global) {
  "use strict";

  var STORAGE_PREFIX = "inoculate-upload:";
  var DAY_MS = 24 * 3600 * 1000;

  function UploadError(message, status) {
    var e = new Error(message);
    e.name = "UploadError";
    e.status = status || 0;
    return e;
  }

  function sleep(ms, signal) {
    return new Promise(function (resolve, reject) {
      if (signal && signal.aborted) return reject(UploadError("paused", 0));
      var done = function () {
        clearTimeout(timer);
        if (global.removeEventListener) global.removeEventListener("online", done);
        if (signal) signal.removeEventListener("abort", onAbort);
        resolve();
      };
      var onAbort = function () {
        clearTimeout(timer);
        if (global.removeEventListener) global.removeEventListener("online", done);
        reject(UploadError("paused", 0));
      };
      var timer = setTimeout(done, ms);
      // Coming back online ends the wait at once.
      if (global.addEventListener) global.addEventListener("online", done);
      if (signal) signal.addEventListener("abort", onAbort);
    });
  }

  function defaultStorage() {
    try {
      return global.localStorage || null;
    } catch (e) {
      return null; // storage disabled: uploads still work, without resume after reload
    }
  }

  function hex(buf) {
    var b = new Uint8Array(buf), s = "";
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    return s;
  }

  function fingerprint(endpoint, file) {
    var subtle = global.crypto && global.crypto.subtle;
    if (!subtle) return Promise.resolve(null);
    var text = [endpoint, file.name, file.size, file.type, file.lastModified].join("\n");
    return subtle.digest("SHA-256", new TextEncoder().encode(text)).then(hex, function () { return null; });
  }

  // send makes one request. XMLHttpRequest reports bytes sent within a chunk (a smooth
  // progress bar on slow lines); fetch is the fallback where there is no XHR.
  function send(method, url, headers, body, onBytes, signal) {
    if (typeof global.XMLHttpRequest === "function") {
      return new Promise(function (resolve, reject) {
        var xhr = new global.XMLHttpRequest();
        xhr.open(method, url);
        Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
        if (onBytes && xhr.upload) xhr.upload.onprogress = function (ev) { onBytes(ev.loaded); };
        xhr.onload = function () {
          resolve({ status: xhr.status, header: function (n) { return xhr.getResponseHeader(n); }, text: xhr.responseText });
        };
        xhr.onerror = function () { resolve({ status: 0, header: function () { return null; }, text: "" }); };
        xhr.ontimeout = xhr.onerror;
        if (signal) {
          if (signal.aborted) return reject(UploadError("paused", 0));
          signal.addEventListener("abort", function () { xhr.abort(); reject(UploadError("paused", 0)); });
        }
        xhr.send(body === undefined ? null : body);
      });
    }
    return global.fetch(url, { method: method, headers: headers, body: body, signal: signal, credentials: "same-origin" }).then(
      function (res) {
        return res.text().then(function (text) {
          if (onBytes && body && body.size) onBytes(body.size);
          return { status: res.status, header: function (n) { return res.headers.get(n); }, text: text };
        });
      },
      function (err) {
        if (signal && signal.aborted) throw UploadError("paused", 0);
        return { status: 0, header: function () { return null; }, text: String(err) };
      }
    );
  }

  function retryable(status) {
    return status === 0 || status === 429 || status >= 500;
  }

  function Upload(file, opts) {
    if (!opts || !opts.endpoint) throw UploadError("an endpoint is required", 0);
    this.file = file;
    this.opts = opts;
    this.endpoint = opts.endpoint.replace(/\/+$/, "");
    this.headers = opts.headers || {};
    this.storage = opts.storage === undefined ? defaultStorage() : opts.storage;
    this.maxRetries = opts.maxRetries === undefined ? 10 : opts.maxRetries;
    this.baseDelay = opts.baseDelay === undefined ? 1000 : opts.baseDelay;
    this.maxDelay = opts.maxDelay === undefined ? 60000 : opts.maxDelay;
    this.location = null;
    this.offset = 0;
    this.chunkSize = 0;
    this.controller = null;
    this.rate = 0;
    this.lastSample = null;
    this.promise = null;
  }

  Upload.prototype.start = function () {
    var self = this;
    if (self.running) return self.promise;
    self.running = true;
    self.controller = new AbortController();
    self.promise = self.run().finally(function () { self.running = false; });
    return self.promise;
  };
  Upload.prototype.resume = Upload.prototype.start;

  Upload.prototype.pause = function () {
    if (this.controller) this.controller.abort();
  };

  Upload.prototype.cancel = function () {
    var self = this;
    self.pause();
    self.forget();
    if (!self.location) return Promise.resolve();
    return send("DELETE", self.location, self.headers, undefined, null, null).then(function () {});
  };

  Upload.prototype.remember = function () {
    if (!this.storage || !this.fp) return;
    try {
      this.storage.setItem(STORAGE_PREFIX + this.fp, JSON.stringify({ location: this.location, chunkSize: this.chunkSize, saved: Date.now() }));
    } catch (e) { /* full or disabled: resume after reload is lost, nothing else */ }
  };

  Upload.prototype.forget = function () {
    if (!this.storage || !this.fp) return;
    try { this.storage.removeItem(STORAGE_PREFIX + this.fp); } catch (e) { /* ignore */ }
  };

  Upload.prototype.recall = function () {
    if (!this.storage || !this.fp) return null;
    try {
      var v = JSON.parse(this.storage.getItem(STORAGE_PREFIX + this.fp) || "null");
      if (v && typeof v.location === "string" && v.saved > Date.now() - DAY_MS) return v;
    } catch (e) { /* unreadable: start afresh */ }
    this.forget();
    return null;
  };

  // withRetry repeats a request while it fails in a way worth retrying.
  Upload.prototype.withRetry = function (makeRequest) {
    var self = this, attempt = 0;
    var go = function () {
      return makeRequest().then(function (res) {
        if (!retryable(res.status)) return res;
        if (attempt >= self.maxRetries) {
          throw UploadError("the server could not be reached; try again later", res.status);
        }
        var delay = Math.min(self.maxDelay, self.baseDelay * Math.pow(2, attempt));
        delay = delay / 2 + Math.random() * delay / 2;
        attempt++;
        if (self.opts.onRetry) self.opts.onRetry({ attempt: attempt, delay: delay, status: res.status });
        return sleep(delay, self.controller.signal).then(go);
      });
    };
    return go();
  };

  Upload.prototype.progress = function (loaded) {
    var now = Date.now(), total = this.file.size;
    if (this.lastSample && now > this.lastSample.t) {
      var inst = (loaded - this.lastSample.loaded) * 1000 / (now - this.lastSample.t);
      if (inst >= 0) this.rate = this.rate ? 0.8 * this.rate + 0.2 * inst : inst;
    }
    if (!this.lastSample || now - this.lastSample.t >= 250 || loaded >= total) {
      this.lastSample = { t: now, loaded: loaded };
    }
    if (this.opts.onProgress) {
      this.opts.onProgress({
        loaded: loaded,
        total: total,
        percent: total ? Math.floor(loaded * 1000 / total) / 10 : 100,
        rate: this.rate,
        eta: this.rate > 0 ? Math.round((total - loaded) / this.rate) : null,
      });
    }
  };

  Upload.prototype.run = function () {
    var self = this, file = self.file, signal = self.controller.signal;
    var headerOffset = function (res) {
      var v = res.header("Upload-Offset");
      if (v === null || !/^[0-9]+$/.test(v)) throw UploadError("the server sent no offset", res.status);
      return Number(v);
    };
    var finish = function () {
      self.forget();
      self.progress(file.size);
      var id = self.location.slice(self.location.lastIndexOf("/") + 1);
      return { id: id, location: self.location };
    };
    var create = function () {
      var body = JSON.stringify({ size: file.size, contentType: self.opts.contentType || file.type || "" });
      var headers = Object.assign({ "Content-Type": "application/json" }, self.headers);
      return self.withRetry(function () { return send("POST", self.endpoint, headers, body, null, signal); }).then(function (res) {
        if (res.status !== 201) throw UploadError(errorMessage(res), res.status);
        var info = JSON.parse(res.text);
        var loc = res.header("Location") || self.endpoint + "/" + info.id;
        self.location = new URL(loc, global.location ? global.location.href : self.endpoint).href;
        self.chunkSize = self.opts.chunkSize || info.chunkSize;
        self.offset = 0;
        self.remember();
      });
    };
    var resumeSaved = function (saved) {
      self.location = saved.location;
      self.chunkSize = self.opts.chunkSize || saved.chunkSize;
      return self.withRetry(function () { return send("HEAD", self.location, self.headers, undefined, null, signal); }).then(function (res) {
        if (res.status === 404) { self.forget(); self.location = null; return create(); }
        if (res.status !== 200) throw UploadError(errorMessage(res), res.status);
        if (Number(res.header("Upload-Length")) !== file.size) { self.forget(); self.location = null; return create(); }
        self.offset = headerOffset(res);
        self.completed = res.header("Upload-Complete") === "1";
      });
    };
    var nextChunk = function () {
      if (self.completed) return Promise.resolve(finish());
      var size = file.size;
      // All bytes stored but not yet handed over: re-sending the last chunk retries it.
      var start = self.offset < size ? self.offset : size - (size % self.chunkSize || self.chunkSize);
      var end = Math.min(start + self.chunkSize, size);
      var headers = Object.assign({ "Content-Range": "bytes " + start + "-" + (end - 1) + "/" + size }, self.headers);
      var blob = file.slice(start, end);
      self.progress(self.offset);
      return self.withRetry(function () {
        return send("PUT", self.location, headers, blob, function (n) { self.progress(start + n); }, signal);
      }).then(function (res) {
        if (res.status === 204) {
          self.offset = headerOffset(res);
          self.completed = res.header("Upload-Complete") === "1";
          return nextChunk();
        }
        if (res.status === 409) {
          self.offset = headerOffset(res);
          return nextChunk();
        }
        if (res.status === 404) self.forget();
        throw UploadError(errorMessage(res), res.status);
      });
    };
    return fingerprint(self.endpoint, file).then(function (fp) {
      self.fp = fp;
      if (self.location) return resumeSaved({ location: self.location, chunkSize: self.chunkSize });
      var saved = self.recall();
      return saved ? resumeSaved(saved) : create();
    }).then(nextChunk);
  };

  function errorMessage(res) {
    try {
      var body = JSON.parse(res.text);
      if (body && typeof body.message === "string") return body.message;
    } catch (e) { /* not JSON */ }
    return "upload failed (HTTP " + res.status + ")";
  }

  function start(file, opts) {
    var up = new Upload(file, opts);
    up.start();
    return up;
  }

  // bind wires every [data-upload-endpoint] element under root.
  function bind(root) {
    var lang = (global.document && global.document.documentElement.lang) || undefined;
    var pct = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
    var minutes = new Intl.NumberFormat(lang, { style: "unit", unit: "minute", unitDisplay: "long", maximumFractionDigits: 0 });
    var seconds = new Intl.NumberFormat(lang, { style: "unit", unit: "second", unitDisplay: "long", maximumFractionDigits: 0 });
    root.querySelectorAll("[data-upload-endpoint]").forEach(function (el) {
      var input = el.querySelector("input[type=file]");
      if (!input) return;
      var bar = el.querySelector("progress[data-upload-progress]");
      var pctEl = el.querySelector("[data-upload-percent]");
      var etaEl = el.querySelector("[data-upload-eta]");
      var fire = function (name, detail) { el.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: detail })); };
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file) return;
        var up = start(file, {
          endpoint: el.getAttribute("data-upload-endpoint"),
          onProgress: function (p) {
            if (bar) { bar.max = 100; bar.value = p.percent; }
            if (pctEl) pctEl.textContent = pct.format(p.percent / 100);
            if (etaEl) etaEl.textContent = p.eta === null ? "" : p.eta >= 90 ? minutes.format(p.eta / 60) : seconds.format(p.eta);
            fire("upload:progress", p);
          },
        });
        el.inoculateUpload = up;
        up.promise.then(function (r) { fire("upload:complete", r); }, function (err) {
          fire("upload:error", { message: err.message, status: err.status || 0 });
        });
      });
    });
  }

  global.InoculateUpload = { Upload: Upload, start: start, bind: bind };

  if (global.document) {
    if (global.document.readyState === "loading") {
      global.document.addEventListener("DOMContentLoaded", function () { bind(global.document); });
    } else {
      bind(global.document);
    }
  }
})(typeof window !== "undefined" ? window : globalThis);
