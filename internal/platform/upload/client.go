package upload

import "inoculate/internal/platform/web/static"

// ClientJS is the browser side of the protocol (upload.js): chunking, retries with
// backoff, resume after a reload, and progress with an ETA. Serve it as a static
// script; it needs no inline code or eval, so it runs under the strict CSP. It is served from the
// static assets (upload.js), the one copy.
var ClientJS = mustClient()

func mustClient() string {
	b, err := static.Read("upload.js")
	if err != nil {
		panic("upload: the client script is missing from the static assets: " + err.Error())
	}
	return string(b)
}
