package legal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/web"
	"inoculate/internal/platform/web/static"
	"inoculate/internal/returnees/legal"
)

// fakeAuth resolves a session cookie or bearer token "key" to the env's principal.
type fakeAuth struct{ e *env }

func (a fakeAuth) lookup(tok string) (*authz.Principal, error) {
	p, ok := a.e.p[tok]
	if !ok {
		return nil, errs.E(errs.Unauthorized, "unknown")
	}
	cp := *p
	cp.AuthAt = time.Now()
	return &cp, nil
}

func (a fakeAuth) Authenticate(_ context.Context, s string) (*authz.Principal, error) {
	p, err := a.lookup(s)
	if p != nil {
		p.Via = "session"
	}
	return p, err
}

func (a fakeAuth) AuthenticateToken(_ context.Context, s string) (*authz.Principal, error) {
	p, err := a.lookup(s)
	if p != nil {
		p.Via = "token"
	}
	return p, err
}

type server struct {
	*env
	srv    *httptest.Server
	bundle *i18n.Bundle
}

func newServer(t *testing.T, db *store.DB) *server {
	t.Helper()
	e := setup(t, db)
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := web.NewTemplates(assets)
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	site := web.NewSite(tpl, bundle, assets, fakeAuth{e}, e.log)
	if err := legal.Register(site, e.svc, e.cases); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(site.Handler())
	t.Cleanup(srv.Close)
	return &server{env: e, srv: srv, bundle: bundle}
}

// do sends a request as user: a bearer token for /api/, a session cookie otherwise.
func (s *server) do(t *testing.T, user, method, path, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+user)
	} else {
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: user})
	}
	cli := s.srv.Client()
	cli.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := cli.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func (s *server) json(t *testing.T, user, method, path string, body any, want int) map[string]any {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	resp, b := s.do(t, user, method, path, "application/json", r)
	if resp.StatusCode != want {
		t.Fatalf("%s %s as %s: %d %s, want %d", method, path, user, resp.StatusCode, b, want)
	}
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return out
}

func (s *server) form(t *testing.T, user, path string, v url.Values) (*http.Response, string) {
	t.Helper()
	resp, b := s.do(t, user, http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	return resp, string(b)
}

func multipartBody(t *testing.T, field string, content []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, "<script>.html")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func TestAPIContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newServer(t, db)
		c := s.newCase(t, "cw", "lo1", "Olive")
		base := "/api/v1/returnees/" + c.ID

		sc := s.json(t, "lo1", "POST", base+"/screening", map[string]any{"capital_crime": "yes", "offences": []any{"execution", map[string]string{"description": "kidnapping"}},
			"evidence_notes": "two witnesses"}, http.StatusCreated)
		if sc["capital_crime"] != "yes" || sc["version"] != float64(1) || sc["referral"] == nil || len(sc["offences"].([]any)) != 2 {
			t.Fatalf("screening answer %v", sc)
		}
		body := s.json(t, "lo1", "POST", base+"/agreements", map[string]any{"terms": "immunity in exchange for testimony"}, http.StatusConflict)
		if keys := slices.Sorted(maps.Keys(body)); !slices.Equal(keys, []string{"error", "message"}) {
			t.Fatalf("409 body keys %v", keys)
		}
		if reason, _ := body["error"].(string); !strings.Contains(reason, "capital crime") || !strings.Contains(reason, "referral to prosecution") {
			t.Fatalf("409 reason %q", body["error"])
		}
		st := s.json(t, "sup", "GET", base+"/legal/status", nil, http.StatusOK)
		if st["capital_crime"] != "yes" || st["referred"] != true || st["can_create_agreement"] != false {
			t.Fatalf("status %v", st)
		}
		s.json(t, "lo1", "POST", base+"/screening", map[string]any{"capital_crime": "perhaps"}, http.StatusBadRequest)
		s.json(t, "lo1", "POST", base+"/screening", map[string]any{"capital_crime": "no", "mood": "fine"}, http.StatusBadRequest)

		// A whole agreement through the API.
		c2 := s.newCase(t, "cw", "lo1", "Poppy")
		base = "/api/v1/returnees/" + c2.ID
		s.json(t, "lo1", "POST", base+"/screening", map[string]any{"capital_crime": "no", "offences": []string{}, "evidence_notes": ""}, http.StatusCreated)
		a := s.json(t, "lo1", "POST", base+"/agreements", map[string]any{"kind": "immunity", "terms": "CANARY-TERMS",
			"obligations": []map[string]any{{"kind": "public_forums", "count": 2, "from": "2026-01-01", "until": "2026-12-31"}, {"kind": "recorded_testimony", "from": "2026-01-01", "until": "2026-12-31"}}},
			http.StatusCreated)
		if a["status"] != "draft" || a["id"] == "" {
			t.Fatalf("agreement %v", a)
		}
		ag := base + "/agreements/" + a["id"].(string)
		s.json(t, "lo1", "POST", base+"/agreements", map[string]any{"terms": "another"}, http.StatusConflict)
		s.json(t, "lo1", "POST", ag+"/transitions", map[string]any{"to": "active", "reason": "skip"}, http.StatusConflict)
		s.json(t, "lo1", "POST", ag+"/transitions", map[string]any{"to": "revoked", "reason": "not here"}, http.StatusBadRequest)
		s.json(t, "lo1", "POST", ag+"/transitions", map[string]any{"to": "under_review", "reason": "ready"}, http.StatusOK)
		s.json(t, "lo1", "POST", ag+"/sign", nil, http.StatusOK)
		s.json(t, "lo1", "POST", ag+"/sign", nil, http.StatusConflict)
		if got := s.json(t, "lo2", "POST", ag+"/sign", nil, http.StatusOK); got["status"] != "signed" || len(got["signatures"].([]any)) != 2 {
			t.Fatalf("after two signatures %v", got)
		}
		doc := []byte("%PDF-1.5\nCANARY-DOC\n%%EOF")
		ct, mb := multipartBody(t, "document", doc)
		resp, b := s.do(t, "lo1", "POST", ag+"/documents", ct, mb)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, b)
		}
		var d legal.Document
		json.Unmarshal(b, &d)
		ct, mb = multipartBody(t, "document", []byte("<html><body>hi</body></html>"))
		if resp, b := s.do(t, "lo1", "POST", ag+"/documents", ct, mb); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("html upload: %d %s", resp.StatusCode, b)
		}
		resp, got := s.do(t, "sup", "GET", ag+"/documents/"+d.ID, "", nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(got, doc) || resp.Header.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="agreement-`) ||
			strings.Contains(resp.Header.Get("Content-Disposition"), "script") {
			t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
		}
		if resp, _ := s.do(t, "comms", "GET", ag+"/documents/"+d.ID, "", nil); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("comms officer download: %d", resp.StatusCode)
		}
		s.json(t, "lo2", "POST", ag+"/transitions", map[string]any{"to": "active", "reason": "in force"}, http.StatusOK)
		s.json(t, "lo2", "POST", ag+"/breach", map[string]any{}, http.StatusBadRequest)
		full := s.json(t, "lo1", "GET", ag, nil, http.StatusOK)
		if full["terms"] != "CANARY-TERMS" || full["status"] != "active" {
			t.Fatalf("agreement %v", full)
		}
		list := s.json(t, "sup", "GET", base+"/agreements", nil, http.StatusOK)
		if len(list["agreements"].([]any)) != 1 {
			t.Fatalf("list %v", list)
		}
		for _, who := range []string{"comms", "cw"} {
			s.json(t, who, "GET", base+"/legal", nil, http.StatusForbidden)
			s.json(t, who, "GET", base+"/agreements", nil, http.StatusForbidden)
		}
		s.json(t, "sup", "POST", base+"/screening", map[string]any{"capital_crime": "no"}, http.StatusForbidden)
		// Another tenant's legal officer: not found, never forbidden.
		s.json(t, "loB", "GET", base+"/legal", nil, http.StatusNotFound)
		s.json(t, "loB", "POST", ag+"/revoke", map[string]any{"reason": "probe"}, http.StatusNotFound)
	})
}

func TestLegalPage(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	ctx := context.Background()
	c := s.newCase(t, "cw", "lo1", "Quince")
	page := "/returnees/" + c.ID + "/legal"
	get := func(user, lang string, want int) string {
		t.Helper()
		resp, b := s.do(t, user, "GET", page+"?lang="+lang, "", nil)
		if resp.StatusCode != want {
			t.Fatalf("GET %s as %s (%s): %d, want %d\n%s", page, user, lang, resp.StatusCode, want, b)
		}
		return string(b)
	}
	for _, lang := range []string{"en", "ar"} {
		get("lo1", lang, http.StatusOK)
		get("sup", lang, http.StatusOK)
	}
	get("comms", "en", http.StatusForbidden)
	get("loB", "en", http.StatusNotFound)

	// A refused screening shows the form again with the message next to the field.
	resp, body := s.form(t, "lo1", page+"/screening", url.Values{"capital_crime": {"maybe"}, "offences": {"CANARY-OFFENCE kept"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "CANARY-OFFENCE kept") || !strings.Contains(body, "field-error") {
		t.Fatalf("refused screening: %d", resp.StatusCode)
	}
	resp, _ = s.form(t, "lo1", page+"/screening", url.Values{"capital_crime": {"no"}, "offences": {"membership\nlogistics"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("screening: %d", resp.StatusCode)
	}
	resp, body = s.form(t, "lo1", page+"/agreements", url.Values{"kind": {"immunity"}, "terms": {"CANARY-TERMS line one\nline two"},
		"public_forums_count": {"3"}, "public_forums_from": {"2026-01-01"}, "public_forums_until": {"2025-12-31"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "CANARY-TERMS line one") {
		t.Fatalf("refused agreement: %d", resp.StatusCode)
	}
	resp, _ = s.form(t, "lo1", page+"/agreements", url.Values{"kind": {"immunity"}, "terms": {"CANARY-TERMS line one\nline two"},
		"public_forums_count": {"3"}, "public_forums_from": {"2026-01-01"}, "public_forums_until": {"2026-12-31"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("agreement: %d", resp.StatusCode)
	}
	d, err := s.svc.Details(ctx, s.p["lo1"], "", c)
	if err != nil || len(d.Agreements) != 1 {
		t.Fatalf("details %v, %v", d, err)
	}
	aid := d.Agreements[0].ID
	ap := page + "/agreements/" + aid
	if resp, _ := s.form(t, "lo1", ap+"/transitions", url.Values{"to": {"under_review"}, "reason": {"ready"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit for review: %d", resp.StatusCode)
	}
	if resp, _ := s.form(t, "lo1", ap+"/sign", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first signature: %d", resp.StatusCode)
	}
	resp, body = s.form(t, "lo1", ap+"/sign", nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "second, different legal officer") {
		t.Fatalf("second signature by the same officer: %d", resp.StatusCode)
	}
	for _, lang := range []string{"en", "ar"} {
		body := get("lo2", lang, http.StatusOK)
		for _, want := range []string{`data-status="under_review"`, "/sign", `data-signed-by="user-lo1"`, "CANARY-TERMS line one"} {
			if !strings.Contains(body, want) {
				t.Fatalf("%s page under review lacks %q", lang, want)
			}
		}
	}
	if resp, _ := s.form(t, "lo2", ap+"/sign", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second signature: %d", resp.StatusCode)
	}
	ct, mb := multipartBody(t, "document", []byte("\xff\xd8\xff\xe0 scanned signature page"))
	if resp, b := s.do(t, "lo2", "POST", ap+"/documents", ct, mb); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("page upload: %d %s", resp.StatusCode, b)
	}
	if resp, _ := s.form(t, "lo2", ap+"/transitions", url.Values{"to": {"active"}, "reason": {"in force"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("put in force: %d", resp.StatusCode)
	}
	for _, lang := range []string{"en", "ar"} {
		body := get("sup", lang, http.StatusOK)
		if !strings.Contains(body, `data-status="active"`) || !strings.Contains(body, "/documents/") || strings.Contains(body, `action="`+ap+`/breach"`) {
			t.Fatalf("%s supervisor page of an active agreement", lang)
		}
		body = get("lo1", lang, http.StatusOK)
		if !strings.Contains(body, `action="`+ap+`/breach"`) || !strings.Contains(body, `action="`+ap+`/revoke"`) {
			t.Fatalf("%s legal officer page lacks the breach and revoke forms", lang)
		}
	}
	resp, _ = s.form(t, "lo1", ap+"/breach", url.Values{"reason": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("breach without reason: %d", resp.StatusCode)
	}
	if resp, _ := s.form(t, "comms", ap+"/breach", url.Values{"reason": {"probe"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("comms officer breach: %d", resp.StatusCode)
	}

	// Every key the pages looked up is in this package's catalogue files (or already shared).
	var ours map[string]any
	raw, err := os.ReadFile("i18n.en.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ours); err != nil {
		t.Fatal(err)
	}
	for _, k := range s.bundle.MissingKeys() {
		key := k[strings.Index(k, ":")+1:]
		if _, ok := ours[key]; !ok {
			t.Errorf("key %s looked up but in no catalogue", k)
		}
	}
}

// A signed document of several MiB goes through the upload routes, which have their
// own body limit (web.Site.SetBodyLimit) above the 64 KiB of ordinary forms.
func TestLargeUpload(t *testing.T) {
	s := newServer(t, storetest.SQLite(t))
	ctx := context.Background()
	c := s.newCase(t, "cw", "lo1", "Rowan")
	a := s.signedAgreement(t, c)
	doc := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{'x'}, 3<<20)...)
	for _, path := range []string{"/api/v1/returnees/" + c.ID + "/agreements/" + a.ID + "/documents", "/returnees/" + c.ID + "/legal/agreements/" + a.ID + "/documents"} {
		ct, mb := multipartBody(t, "document", doc)
		if resp, b := s.do(t, "lo1", "POST", path, ct, mb); resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
	d, err := s.svc.Details(ctx, s.p["lo1"], "", c)
	if err != nil || len(d.Agreements[0].Documents) != 2 {
		t.Fatalf("documents %v, %v", d.Agreements, err)
	}
}
