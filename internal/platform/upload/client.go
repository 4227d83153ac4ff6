package upload

import _ "embed"

// ClientJS is the browser side of the protocol (upload.js): chunking, retries with
// backoff, resume after a reload, and progress with an ETA. Serve it as a static
// script; it needs no inline code or eval, so it runs under the strict CSP.
//
//go:embed upload.js
var ClientJS string
