package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/web/static"
	"inoculate/internal/returnees/caseref"
)

// SessionCookie is the session cookie's name. The __Host- prefix makes browsers
// refuse it unless Secure, Path=/ and without Domain: no subdomain can plant or read it.
const SessionCookie = "__Host-inoculate-session"

// LangCookie remembers the chosen language.
const LangCookie = "__Host-inoculate-lang"

// Limits on request bodies: forms and JSON are small; uploads (later issues) have their own.
const (
	MaxFormBytes = 64 << 10
	MaxJSONBytes = 64 << 10
)

// Authenticator resolves credentials to a principal, afresh on every request.
type Authenticator interface {
	Authenticate(ctx context.Context, sessionToken string) (*authz.Principal, error)
	AuthenticateToken(ctx context.Context, bearer string) (*authz.Principal, error)
}

// Site holds what every handler needs to answer: templates, catalogues, assets,
// authentication, the audit log, and the route table.
type Site struct {
	Templates *Templates
	I18n      *i18n.Bundle
	Assets    *static.Assets
	Auth      Authenticator
	Audit     *audit.Log
	Now       func() time.Time
	// Demo shows the "demo data — fictional" banner on every page.
	Demo bool

	browser *http.ServeMux
	api     *http.ServeMux
	routes  []Route
	nav     []NavItem
	// bodyLimits raises the body limit of a few routes (uploads) above the default.
	bodyLimits map[string]int64
	// caseTabPerms says which permission opens each part of a case, so the case
	// tabs show only the parts the user may open.
	caseTabPerms map[caseref.Tab]authz.Permission
}

// SetCaseTabPerm records the permission that opens a part of a case.
func (s *Site) SetCaseTabPerm(tab caseref.Tab, perm authz.Permission) {
	if s.caseTabPerms == nil {
		s.caseTabPerms = map[caseref.Tab]authz.Permission{}
	}
	s.caseTabPerms[tab] = perm
}

// SetBodyLimit lets the route pattern (as registered) receive bodies up to n bytes,
// instead of MaxFormBytes / MaxJSONBytes: for uploads, which check their own content.
func (s *Site) SetBodyLimit(pattern string, n int64) {
	if s.bodyLimits == nil {
		s.bodyLimits = map[string]int64{}
	}
	s.bodyLimits[pattern] = n
}

// limitBody caps the request body: the route's own limit if it has one, else def.
func (s *Site) limitBody(w http.ResponseWriter, r *http.Request, mux *http.ServeMux, def int64) {
	n := def
	if _, pattern := mux.Handler(r); pattern != "" {
		if l, ok := s.bodyLimits[pattern]; ok {
			n = l
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, n)
}

// NewSite returns a site with empty browser and API muxes.
func NewSite(t *Templates, b *i18n.Bundle, a *static.Assets, auth Authenticator, log *audit.Log) *Site {
	return &Site{Templates: t, I18n: b, Assets: a, Auth: auth, Audit: log,
		browser: http.NewServeMux(), api: http.NewServeMux()}
}

func (s *Site) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Browser returns the router for HTML pages (session cookie authentication).
func (s *Site) Browser() *Router { return &Router{site: s, mux: s.browser, routes: &s.routes} }

// API returns the router for /api/v1 (bearer token authentication, JSON).
func (s *Site) API() *Router { return &Router{site: s, mux: s.api, api: true, routes: &s.routes} }

// Handler returns the whole site: static assets, the API mux and the browser mux,
// each behind its own middleware, all behind the common security middleware.
func (s *Site) Handler() http.Handler {
	top := http.NewServeMux()
	top.Handle("GET /static/", s.Assets.Handler())
	top.Handle("/api/", s.apiMiddleware(ourNotFound(s, s.api)))
	top.Handle("/", s.browserMiddleware(ourNotFound(s, s.browser)))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Fail(w, r, &errs.Error{Kind: errs.Forbidden, MsgKey: "error.cross_origin", Msg: "this request came from another site and was refused"})
	}))
	return s.common(cop.Handler(top))
}

// ourNotFound answers unmatched paths (and wrong methods) with our own error page or
// JSON, in the user's language, instead of the mux's plain text.
func ourNotFound(s *Site, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			s.Fail(w, r, &errs.Error{Kind: errs.NotFound, MsgKey: "error.not_found", Msg: "not found"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// common runs for every response, including 404, 405 and errors: request id,
// security headers, panic recovery and the request log.
func (s *Site) common(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := newRequestID()
		ctx := context.WithValue(r.Context(), requestIDKey{}, rid)
		nonce := newNonce()
		ctx = context.WithValue(ctx, nonceKey{}, nonce)
		h := w.Header()
		h.Set("Content-Security-Policy", CSP(nonce))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("X-Request-Id", rid)
		// Pages and API answers are personal and may hold identity: never cached.
		// Static assets, which hold none, set their own long-lived caching.
		h.Set("Cache-Control", "no-store")
		rec := &statusRecorder{ResponseWriter: w}
		r = r.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				slog.Error("panic", "panic", p, "request_id", rid, "route", r.Pattern)
				if rec.status == 0 {
					s.Fail(rec, r, nil)
				}
			}
			logRequest(r, rec.status, start)
		}()
		next.ServeHTTP(rec, r)
	})
}

// CSP is the Content-Security-Policy: nothing but our own scripts and styles (no
// inline code), no framing, no plugins, forms and connections to this origin only.
func CSP(nonce string) string {
	return "default-src 'none'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}

func (s *Site) browserMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.limitBody(w, r, s.browser, MaxFormBytes)
		lang := s.negotiate(w, r)
		ctx := context.WithValue(r.Context(), langKey{}, lang)
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			p, err := s.Auth.Authenticate(ctx, c.Value)
			if err == nil {
				ctx = authz.WithPrincipal(ctx, p)
			} else {
				// Expired or ended: drop the stale cookie so the browser stops sending it.
				ClearSessionCookie(w)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Site) apiMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.limitBody(w, r, s.api, MaxJSONBytes)
		ctx := context.WithValue(r.Context(), langKey{}, i18n.Negotiate(r.URL.Query().Get("lang"), "", r.Header.Get("Accept-Language")))
		ctx = context.WithValue(ctx, apiKey{}, true)
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && tok != "" {
			p, err := s.Auth.AuthenticateToken(ctx, strings.TrimSpace(tok))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="inoculate"`)
				s.Fail(w, r.WithContext(ctx), err)
				return
			}
			ctx = authz.WithPrincipal(ctx, p)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// negotiate picks the language: ?lang= (remembered in a cookie), then the cookie,
// then Accept-Language.
func (s *Site) negotiate(w http.ResponseWriter, r *http.Request) string {
	q := r.URL.Query().Get("lang")
	var cookie string
	if c, err := r.Cookie(LangCookie); err == nil {
		cookie = c.Value
	}
	lang := i18n.Negotiate(q, cookie, r.Header.Get("Accept-Language"))
	if q != "" && lang == q && q != cookie {
		http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", Secure: true, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, MaxAge: 365 * 24 * 3600})
	}
	return lang
}

// SetSessionCookie sets the session cookie: HttpOnly, Secure, SameSite=Strict, no
// Domain, session-lifetime (the server enforces idle and absolute expiry).
func SetSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Secure: true,
		HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", Secure: true,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

type (
	requestIDKey struct{}
	nonceKey     struct{}
	langKey      struct{}
	apiKey       struct{}
)

// RequestID returns the id of the request, for audit records and logs.
func RequestID(ctx context.Context) string { s, _ := ctx.Value(requestIDKey{}).(string); return s }

// Nonce returns the CSP nonce of the request.
func Nonce(ctx context.Context) string { s, _ := ctx.Value(nonceKey{}).(string); return s }

// Lang returns the negotiated language of the request.
func Lang(ctx context.Context) string {
	if s, ok := ctx.Value(langKey{}).(string); ok {
		return s
	}
	return "en"
}

// IsAPI reports whether the request came through the API mux.
func IsAPI(ctx context.Context) bool { b, _ := ctx.Value(apiKey{}).(bool); return b }

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func newNonce() string {
	var b [18]byte
	rand.Read(b[:])
	return base64.RawStdEncoding.EncodeToString(b[:])
}

// Principal is authz.FromContext for handlers.
func Principal(r *http.Request) *authz.Principal { return authz.FromContext(r.Context()) }

// Origin is the address the browser reached this site at ("https://host"), for links
// people copy or print: plain http only for a loopback address without TLS (a laptop
// demo), https otherwise (behind a TLS-terminating proxy too).
func Origin(r *http.Request) string {
	host := r.Host
	if r.TLS == nil {
		h := host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			h = hh
		}
		if ip, err := netip.ParseAddr(strings.Trim(h, "[]")); (err == nil && ip.IsLoopback()) || h == "localhost" {
			return "http://" + host
		}
	}
	return "https://" + host
}
