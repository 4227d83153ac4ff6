// Package web is the small web kit every capability uses: a router whose routes each
// declare their permission (so the route table is the permission table the
// authorization-matrix test walks), secure-by-default middleware (CSP with nonces,
// cross-origin protection, security headers, body limits), template rendering in the
// user's language, and JSON helpers for the API.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
)

// Route is one registered route: method and path pattern, and the permission that
// guards it.
type Route struct {
	Pattern string // "GET /returnees/{id}", as given to http.ServeMux
	Perm    authz.Permission
	API     bool
}

// HandlerFunc is a handler that may fail: the error is rendered once, by kind.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Router registers routes on a browser mux or an API mux, each route through Handle
// with its permission. Nothing else registers handlers.
type Router struct {
	site   *Site
	mux    *http.ServeMux
	api    bool
	routes *[]Route
}

// Handle registers pattern with the permission perm. Authentication has already run
// (see Site.Handler); Handle checks the permission and audits denials of listed
// permissions, then runs h and renders its error if any.
func (rt *Router) Handle(pattern string, perm authz.Permission, h HandlerFunc) {
	if perm.Name == "" {
		panic("web: route " + pattern + " has no permission")
	}
	*rt.routes = append(*rt.routes, Route{Pattern: pattern, Perm: perm, API: rt.api})
	site, api := rt.site, rt.api
	rt.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p := authz.FromContext(r.Context())
		switch authz.Check(perm, p, site.now()) {
		case authz.NeedSignIn:
			if p != nil && !api && (p.Stage == authz.StageTOTP || p.Stage == authz.StageEnrol) {
				// Half signed in: send them on to the second factor.
				target := "/login/totp"
				if p.Stage == authz.StageEnrol {
					target = "/login/enrol"
				}
				http.Redirect(w, r, target, http.StatusSeeOther)
				return
			}
			if !api && r.Method == http.MethodGet {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			site.Fail(w, r, errs.E(errs.Unauthorized, "sign in first"))
			return
		case authz.Denied:
			site.auditDenied(r, p, perm)
			site.Fail(w, r, &errs.Error{Kind: errs.Forbidden, MsgKey: "error.forbidden", Msg: "your role does not allow this"})
			return
		case authz.NeedStepUp:
			if !api && r.Method == http.MethodGet {
				http.Redirect(w, r, "/login/step-up?next="+safeNext(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			site.Fail(w, r, &errs.Error{Kind: errs.Forbidden, MsgKey: "error.step_up", Msg: "this action needs a fresh sign-in"})
			return
		}
		if err := h(w, r); err != nil {
			site.Fail(w, r, err)
		}
	})
}

// safeNext keeps a redirect target on this site: a path only, never "//host" or a
// scheme. Control characters are refused outright because browsers drop tabs and
// newlines from URLs, turning "/\t/evil" into "//evil".
func safeNext(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return "/"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return "/"
		}
	}
	if u, err := url.Parse(s); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return s
}

// SafeNext is safeNext for handlers reading a ?next= parameter.
func SafeNext(s string) string { return safeNext(s) }

func (s *Site) auditDenied(r *http.Request, p *authz.Principal, perm authz.Permission) {
	if s.Audit == nil || p == nil {
		return
	}
	err := s.Audit.Record(r.Context(), audit.Entry{
		TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role),
		Action: "authz.denied:" + perm.Name, Object: r.PathValue("id"), Result: "denied",
		RequestID: RequestID(r.Context()),
	})
	if err != nil {
		slog.Error("audit denied access", "err", err, "request_id", RequestID(r.Context()))
	}
}

// Routes returns every registered route, browser and API, in registration order.
func (s *Site) Routes() []Route { return append([]Route(nil), s.routes...) }

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequest writes one structured line per request: no addresses, no query strings,
// no identity data (SECURITY.md P26).
func logRequest(r *http.Request, status int, start time.Time) {
	slog.Info("http", "method", r.Method, "route", r.Pattern, "status", status,
		"ms", time.Since(start).Milliseconds(), "request_id", RequestID(r.Context()))
}

var errBodyTooLarge = &errs.Error{Kind: errs.Invalid, MsgKey: "error.body_too_large", Msg: "the request is too large"}

// bodyErr turns a body-reading error into a user-facing one.
func bodyErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errBodyTooLarge
	}
	return &errs.Error{Kind: errs.Invalid, MsgKey: "error.bad_request", Msg: "the request could not be read", Err: err}
}
