package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/web/static"
	"inoculate/internal/returnees/caseref"
)

//go:embed templates
var layoutFS embed.FS

// Templates holds every page, each parsed with the layout at start-up: a template
// error stops the server before it serves anything.
type Templates struct {
	assets *static.Assets
	pages  map[string]*template.Template
	base   *template.Template
}

// NewTemplates parses the shared layout and partials.
func NewTemplates(a *static.Assets) (*Templates, error) {
	funcs := template.FuncMap{
		"asset": a.Path,
		"datetime": func(l *i18n.Localizer, t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return l.DateTime(t)
		},
		"date": func(l *i18n.Localizer, t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return l.Date(t)
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(layoutFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	t := &Templates{assets: a, pages: map[string]*template.Template{}, base: base}
	if err := t.Add("web", layoutFS, "templates/pages"); err != nil {
		return nil, err
	}
	return t, nil
}

// Add parses every *.html file in dir of fsys as a page named "<prefix>/<file>",
// e.g. Add("returnees", fsys, "templates") gives "returnees/list.html". Files whose
// name starts with "_" are partials shared by that capability's pages.
func (t *Templates) Add(prefix string, fsys fs.FS, dir string) error {
	files, err := fs.Glob(fsys, path.Join(dir, "*.html"))
	if err != nil {
		return err
	}
	partials, err := fs.Glob(fsys, path.Join(dir, "_*.html"))
	if err != nil {
		return err
	}
	base := t.base
	if len(partials) > 0 {
		if base, err = t.base.Clone(); err != nil {
			return err
		}
		if base, err = base.ParseFS(fsys, partials...); err != nil {
			return fmt.Errorf("web: parse %s partials: %w", prefix, err)
		}
	}
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "_") {
			continue
		}
		clone, err := base.Clone()
		if err != nil {
			return err
		}
		pt, err := clone.ParseFS(fsys, f)
		if err != nil {
			return fmt.Errorf("web: parse %s/%s: %w", prefix, path.Base(f), err)
		}
		t.pages[prefix+"/"+path.Base(f)] = pt
	}
	return nil
}

// Names lists the parsed pages, for the test that renders every view.
func (t *Templates) Names() []string {
	var out []string
	for n := range t.pages {
		out = append(out, n)
	}
	return out
}

// Page is what every template receives.
type Page struct {
	L         *i18n.Localizer
	Nonce     string
	User      *authz.Principal
	Demo      bool
	Path      string
	Query     url.Values
	Title     string
	Flash     string
	FlashKind string
	Data      any
	// Errors maps form field names to messages, for forms re-shown after bad input.
	Errors   map[string]string
	Form     url.Values
	nav      []NavItem
	now      time.Time
	tabPerms map[caseref.Tab]authz.Permission
}

// T translates key in the page's language.
func (p *Page) T(key string, args ...any) string { return p.L.T(key, args...) }

// TA translates key with arguments given as a slice (from data, such as a summary
// line); arguments that are catalogue keys of the form "x.y" are translated too.
func (p *Page) TA(key string, args []any) string {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			if strings.Contains(v, ".") && !strings.Contains(v, " ") && p.L.Has(v) {
				a = p.L.T(v)
			}
		case time.Time:
			a = p.L.Date(v) // dates in the reader's language, not Go's default format
		}
		out[i] = a
	}
	return p.L.T(key, out...)
}

// N translates a plural message for count n.
func (p *Page) N(key string, n int, args ...any) string { return p.L.N(key, n, args...) }

// Active reports whether the current path is under prefix, for aria-current in the nav.
func (p *Page) Active(prefix string) bool {
	if prefix == "/" {
		return p.Path == "/"
	}
	return p.Path == prefix || strings.HasPrefix(p.Path, prefix+"/")
}

// LangURL is the current page in another language.
func (p *Page) LangURL(lang string) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	q.Set("lang", lang)
	return p.Path + "?" + q.Encode()
}

// Can reports whether the user may pass perm (to show or hide links and buttons).
func (p *Page) Can(perm authz.Permission) bool {
	return authz.Check(perm, p.User, p.now) != authz.Denied && p.User != nil
}

// Value returns a re-shown form value.
func (p *Page) Value(name string) string { return p.Form.Get(name) }

// NewPage builds the page data for r.
func (s *Site) NewPage(r *http.Request, title string, data any) *Page {
	p := &Page{
		L: s.I18n.For(Lang(r.Context())), Nonce: Nonce(r.Context()), User: Principal(r),
		Demo: s.Demo, Path: r.URL.Path, Query: r.URL.Query(), Title: title, Data: data,
		nav: s.nav, FlashKind: "success", now: s.now(), tabPerms: s.caseTabPerms,
	}
	p.Flash = p.flashText(r.URL.Query().Get("flash"))
	return p
}

// flashText shows a flash message named by ?flash=: only catalogue keys under
// "flash.", so a crafted link cannot put words of its own on our page.
func (p *Page) flashText(key string) string {
	if strings.HasPrefix(key, "flash.") && p.L.Has(key) {
		return p.L.T(key)
	}
	return ""
}

// NavItem is an entry of the main navigation, shown to those its permission lets in.
type NavItem struct {
	Path string
	Key  string
	Perm authz.Permission
}

// AddNav adds an entry to the main navigation.
func (s *Site) AddNav(path, key string, perm authz.Permission) {
	s.nav = append(s.nav, NavItem{Path: path, Key: key, Perm: perm})
}

// SignedIn reports whether a fully signed-in user is viewing the page.
func (p *Page) SignedIn() bool { return p.User != nil && p.User.Stage == authz.StageFull }

// Nav returns the navigation entries the user may follow.
func (p *Page) Nav() []NavItem {
	var out []NavItem
	for _, n := range p.nav {
		if p.SignedIn() && authz.Check(n.Perm, p.User, p.now) == authz.Allowed {
			out = append(out, n)
		}
	}
	return out
}

// Render writes page name with status. It renders into a buffer first, so a
// template failure gives a clean error page, never half a page.
func (s *Site) Render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) error {
	t, ok := s.Templates.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	entry := "layout"
	if r.Header.Get("HX-Request") == "true" && t.Lookup("fragment") != nil {
		entry = "fragment"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, entry, p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// Status maps an error kind to its HTTP status: the one place this happens.
func Status(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Conflict:
		return http.StatusConflict
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.TooMany:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// Fail answers with err: a page in the user's language for the browser, a JSON body
// for the API. Internal errors are logged with their cause and shown generically.
func (s *Site) Fail(w http.ResponseWriter, r *http.Request, err error) {
	kind := errs.KindOf(err)
	if errors.Is(err, http.ErrBodyNotAllowed) || err == nil {
		kind = errs.Internal
	}
	var e *errs.Error
	errors.As(err, &e)
	status := Status(kind)
	l := s.I18n.For(Lang(r.Context()))
	msg := l.T("error.generic")
	if kind != errs.Internal {
		msg = userMessage(l, kind, e)
	} else {
		slog.Error("request failed", "err", err, "request_id", RequestID(r.Context()), "route", r.Pattern)
	}
	if IsAPI(r.Context()) || strings.HasPrefix(r.URL.Path, "/api/") {
		body := map[string]any{"error": kind.String(), "message": msg, "request_id": RequestID(r.Context())}
		if e != nil && e.Field != "" && kind == errs.Invalid {
			body["field"] = e.Field
		}
		WriteJSON(w, status, body)
		return
	}
	p := s.NewPage(r, l.T("error.title"), map[string]any{"Status": status, "Message": msg, "Kind": kind.String(), "RequestID": RequestID(r.Context())})
	if rerr := s.Render(w, r, status, "web/error.html", p); rerr != nil {
		slog.Error("render error page", "err", rerr)
		http.Error(w, msg, status)
	}
}

// userMessage is the message for a non-internal error in the user's language.
func userMessage(l *i18n.Localizer, k errs.Kind, e *errs.Error) string {
	if e != nil && e.MsgKey != "" && l.Has(e.MsgKey) {
		// Arguments that are field labels ("field.alias") are translated too.
		args := make([]any, len(e.Args))
		for i, a := range e.Args {
			if s, ok := a.(string); ok && strings.HasPrefix(s, "field.") && l.Has(s) {
				a = l.T(s)
			}
			args[i] = a
		}
		return l.T(e.MsgKey, args...)
	}
	switch k {
	case errs.NotFound:
		return l.T("error.not_found")
	case errs.Forbidden:
		return l.T("error.forbidden")
	case errs.Unauthorized:
		if e != nil && e.Msg != "" && l.Lang() == "en" {
			return capitalise(e.Msg)
		}
		return l.T("error.session_expired")
	case errs.TooMany:
		return l.T("error.too_many")
	}
	if e != nil && e.Msg != "" && l.Lang() == "en" {
		return capitalise(e.Msg)
	}
	return l.T("error.bad_request")
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// FieldMessage is the message of a validation error about one field, in the user's
// language, for forms re-shown after bad input.
func (s *Site) FieldMessage(r *http.Request, err error) (field, msg string) {
	var e *errs.Error
	if !errors.As(err, &e) || (e.Kind != errs.Invalid && e.Kind != errs.Conflict) {
		return "", ""
	}
	return e.Field, userMessage(s.I18n.For(Lang(r.Context())), e.Kind, e)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// DecodeJSON reads one JSON object into v: unknown fields and trailing data are
// refused (no mass assignment), and the body is size-limited by the API middleware.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &errs.Error{Kind: errs.Invalid, MsgKey: "error.json_content_type", Msg: "send Content-Type: application/json"}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errBodyTooLarge
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return &errs.Error{Kind: errs.Invalid, Field: ute.Field, Msg: fmt.Sprintf("field %q has the wrong type", ute.Field), Err: err}
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &errs.Error{Kind: errs.Invalid, Field: f, Msg: fmt.Sprintf("unknown field %q", f), Err: err}
		}
		return &errs.Error{Kind: errs.Invalid, MsgKey: "error.bad_json", Msg: "the body is not a valid JSON object", Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &errs.Error{Kind: errs.Invalid, MsgKey: "error.bad_json", Msg: "the body must hold exactly one JSON object"}
	}
	return nil
}

// ParseForm parses a form body, mapping an oversized body to a clear error.
func ParseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return bodyErr(err)
	}
	return nil
}

// IsHTMX reports whether the request came from htmx (to answer with a fragment).
func IsHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// FieldView is what the "field" partial renders: one labelled form input with its
// hint and, after bad input, its error.
type FieldView struct {
	Name, Type, Label, Value, Error, Hint, Optional, Autocomplete string
	Required                                                      bool
}

// Field describes input name of type typ; its label is the catalogue key "field.<name>".
func (p *Page) Field(name, typ string, required bool, hintKey string) FieldView {
	f := FieldView{Name: name, Type: typ, Required: required, Label: p.T("field." + name),
		Value: p.Form.Get(name), Error: p.Errors[name], Optional: p.T("form.optional")}
	if hintKey != "" {
		f.Hint = p.T(hintKey)
	}
	switch typ {
	case "password":
		f.Value = "" // never echo a password back
		f.Autocomplete = "current-password"
	case "text":
		f.Autocomplete = "off"
	}
	return f
}

// Fresh reports whether the user signed in fully within the step-up window, so
// step-up actions can be offered directly instead of via the step-up page.
func (p *Page) Fresh() bool { return p.User != nil && p.User.FreshAuth(p.now) }

// CaseHeaderView is what the "case-header" partial renders.
type CaseHeaderView struct {
	Page   *Page
	Header caseref.Header
	Tabs   []CaseTab
}

// CaseTab is one tab of a case.
type CaseTab struct {
	Path, Key string
	Current   bool
}

// caseTabs are the parts of a case, in order; each capability serves its own path.
var caseTabs = []struct {
	tab  caseref.Tab
	path string
}{
	{caseref.TabOverview, ""}, {caseref.TabLegal, "/legal"}, {caseref.TabConsent, "/consent"},
	{caseref.TabAssessment, "/assessments"}, {caseref.TabSafety, "/safety"}, {caseref.TabFamily, "/family"},
}

// CaseHeader prepares the case title and tabs for the "case-header" partial.
func (p *Page) CaseHeader(h caseref.Header) CaseHeaderView {
	v := CaseHeaderView{Page: p, Header: h}
	for _, t := range caseTabs {
		// Only the parts this user may open: a tab that answers 403 is a dead end.
		if perm, ok := p.tabPerms[t.tab]; ok && t.tab != h.Tab {
			if d := authz.Check(perm, p.User, p.now); d == authz.Denied || d == authz.NeedSignIn {
				continue
			}
		}
		v.Tabs = append(v.Tabs, CaseTab{Path: "/returnees/" + h.Case.ID + t.path, Key: "case.tab_" + string(t.tab), Current: t.tab == h.Tab})
	}
	return v
}
