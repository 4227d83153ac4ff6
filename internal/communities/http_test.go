package communities_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"inoculate/internal/communities"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/web"
	"inoculate/internal/platform/web/static"
)

// fakeAuth resolves "<tenant>/<role>" credentials to the env's principals; a "stale/"
// prefix gives a session too old for step-up.
type fakeAuth struct{ e *env }

func (f fakeAuth) principal(tok, via string) (*authz.Principal, error) {
	stale := strings.HasPrefix(tok, "stale/")
	tok = strings.TrimPrefix(tok, "stale/")
	ten, role, _ := strings.Cut(tok, "/")
	p, ok := f.e.p[ten][authz.Role(role)]
	if !ok {
		return nil, errs.E(errs.Unauthorized, "unknown test credential")
	}
	cp := *p
	cp.Via, cp.AuthAt = via, time.Now()
	if stale {
		cp.AuthAt = time.Now().Add(-time.Hour)
	}
	return &cp, nil
}

func (f fakeAuth) Authenticate(_ context.Context, tok string) (*authz.Principal, error) {
	return f.principal(tok, "session")
}

func (f fakeAuth) AuthenticateToken(_ context.Context, tok string) (*authz.Principal, error) {
	return f.principal(tok, "token")
}

type site struct {
	*env
	t   *testing.T
	srv *httptest.Server
}

func newSite(t *testing.T, db *store.DB) *site {
	t.Helper()
	e := setup(t, db)
	bundle, err := i18n.Load(i18n.Fragment{Name: "communities", FS: communities.Messages})
	if err != nil {
		t.Fatal(err)
	}
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := web.NewTemplates(assets)
	if err != nil {
		t.Fatal(err)
	}
	ws := web.NewSite(tpl, bundle, assets, fakeAuth{e}, e.log)
	if err := communities.Register(ws, e.svc); err != nil {
		t.Fatal(err)
	}
	s := &site{env: e, t: t, srv: httptest.NewServer(ws.Handler())}
	t.Cleanup(s.srv.Close)
	return s
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type resp struct {
	status int
	header http.Header
	body   string
}

func (s *site) do(method, path, body, cred string) resp {
	s.t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	api := strings.HasPrefix(path, "/api/")
	if body != "" {
		if api {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if cred != "" {
		if api {
			req.Header.Set("Authorization", "Bearer "+cred)
		} else {
			req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: cred})
		}
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func TestHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		li := "a/community_liaison"
		// Empty list, then create through the form.
		if r := s.do("GET", "/communities", "", li); r.status != 200 || !strings.Contains(r.body, "/communities/new") {
			t.Fatalf("list %d %s", r.status, r.body)
		}
		if r := s.do("GET", "/communities/new", "", li); r.status != 200 {
			t.Fatalf("new %d %s", r.status, r.body)
		}
		r := s.do("POST", "/communities", form("name", "", "kind", "place"), li)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "field-error") {
			t.Fatalf("invalid create %d", r.status)
		}
		r = s.do("POST", "/communities", form("name", "Tal Afar", "kind", "place", "languages", "ar, tr",
			"brief", "# Dos\n- greet the elders\n<script>alert(1)</script>"), li)
		if r.status != http.StatusSeeOther {
			t.Fatalf("create %d %s", r.status, r.body)
		}
		loc := r.header.Get("Location")
		base := loc[:strings.Index(loc, "?")]
		id := strings.TrimPrefix(base, "/communities/")
		r = s.do("GET", base, "", li)
		if r.status != 200 || !strings.Contains(r.body, "<h3>Dos</h3>") || strings.Contains(r.body, "<script>alert") {
			t.Fatalf("show %d %s", r.status, r.body)
		}
		// Chain through the forms.
		for _, n := range []string{"Elder council", "Imam of the central mosque"} {
			if r := s.do("POST", base+"/authorities", form("kind", "elder", "display_name", n), li); r.status != http.StatusSeeOther {
				t.Fatalf("add authority %d %s", r.status, r.body)
			}
		}
		if r := s.do("POST", base+"/authorities", form("kind", "king", "display_name", "x"), li); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad authority %d", r.status)
		}
		chain, _ := s.svc.Chain(context.Background(), "tenant-a", id)
		if r := s.do("POST", base+"/authorities/"+chain[1].ID+"/move", form("position", "1"), li); r.status != http.StatusSeeOther {
			t.Fatalf("move %d %s", r.status, r.body)
		}
		chain, _ = s.svc.Chain(context.Background(), "tenant-a", id)
		if chain[0].DisplayName != "Imam of the central mosque" {
			t.Fatalf("chain %+v", chain)
		}
		// Partner and sealed contact, revealed with a reason (fresh session only).
		if r := s.do("POST", base+"/partners", form("partner_kind", "mosque", "partner_name", "Central mosque"), li); r.status != http.StatusSeeOther {
			t.Fatalf("partner %d %s", r.status, r.body)
		}
		ps, _ := s.svc.Partners(context.Background(), s.p["a"][authz.Supervisor], id)
		if r := s.do("POST", base+"/partners/"+ps[0].ID+"/contacts", form("contact_name", "Abu Zzyzx", "phone", "+964 1"), li); r.status != http.StatusSeeOther {
			t.Fatalf("contact %d %s", r.status, r.body)
		}
		ps, _ = s.svc.Partners(context.Background(), s.p["a"][authz.Supervisor], id)
		cid := ps[0].Contacts[0].ID
		if r := s.do("GET", base, "", li); strings.Contains(r.body, "Zzyzx") || !strings.Contains(r.body, "/contacts/"+cid+"/reveal") {
			t.Fatal("contact shown, or no reveal form")
		}
		if r := s.do("GET", base, "", "a/comms_officer"); r.status != 200 || strings.Contains(r.body, "/contacts/") || strings.Contains(r.body, "/authorities") {
			t.Fatalf("comms officer page %d", r.status)
		}
		if r := s.do("GET", base, "", "stale/"+li); !strings.Contains(r.body, "/login/step-up?next=") {
			t.Fatal("no step-up link for a stale session")
		}
		if r := s.do("POST", base+"/contacts/"+cid+"/reveal", form("reason", "to plan the forum"), "stale/"+li); r.status != http.StatusForbidden {
			t.Fatalf("stale reveal %d", r.status)
		}
		if r := s.do("POST", base+"/contacts/"+cid+"/reveal", form("reason", "short"), li); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("short reason %d", r.status)
		}
		r = s.do("POST", base+"/contacts/"+cid+"/reveal", form("reason", "to plan the forum"), li)
		if r.status != 200 || !strings.Contains(r.body, "Abu Zzyzx") || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("reveal %d", r.status)
		}
		if r := s.do("POST", base+"/figures", form("figure_kind", "youth_share", "value", "41.5", "source", "UNFPA", "year", "2025"), li); r.status != http.StatusSeeOther {
			t.Fatalf("figure %d %s", r.status, r.body)
		}
		if r := s.do("POST", base+"/figures", form("figure_kind", "youth_share", "value", "lots", "source", "UNFPA", "year", "2025"), li); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad figure %d", r.status)
		}
		// Edit form and Arabic rendering.
		if r := s.do("GET", base+"/edit", "", li); r.status != 200 || !strings.Contains(r.body, "Tal Afar") {
			t.Fatalf("edit %d", r.status)
		}
		if r := s.do("GET", base+"?lang=ar", "", li); r.status != 200 {
			t.Fatalf("arabic %d", r.status)
		}

		// Roles and tenants.
		for _, tc := range []struct {
			method, path, body, cred string
			want                     int
		}{
			{"GET", base, "", "a/legal_officer", http.StatusForbidden},
			{"GET", base, "", "b/supervisor", http.StatusNotFound},
			{"POST", base + "/authorities", form("kind", "elder", "display_name", "x"), "a/case_worker", http.StatusForbidden},
			{"POST", base + "/contacts/" + cid + "/reveal", form("reason", "to plan the forum"), "a/case_worker", http.StatusForbidden},
			{"GET", "/api/v1/communities/" + id, "", "b/community_liaison", http.StatusNotFound},
			{"GET", "/api/v1/communities/" + id, "", "a/safety_officer", http.StatusOK},
			{"POST", "/api/v1/communities/" + id + "/contacts/" + cid + "/reveal", `{"reason":"to plan the forum"}`, "b/supervisor", http.StatusNotFound},
			{"POST", "/api/v1/communities", `{"name":"x","kind":"place","extra":1}`, li, http.StatusBadRequest},
		} {
			if r := s.do(tc.method, tc.path, tc.body, tc.cred); r.status != tc.want {
				t.Errorf("%s %s as %s: %d, want %d", tc.method, tc.path, tc.cred, r.status, tc.want)
			}
		}

		// API: chain order and reveal.
		var got struct {
			Chain []communities.Authority `json:"chain"`
		}
		r = s.do("GET", "/api/v1/communities/"+id+"/chain", "", "a/comms_officer")
		if err := json.Unmarshal([]byte(r.body), &got); err != nil || len(got.Chain) != 2 {
			t.Fatalf("api chain %d %s", r.status, r.body)
		}
		b, _ := json.Marshal(map[string]any{"authority_ids": []string{got.Chain[1].ID, got.Chain[0].ID}})
		if r := s.do("POST", "/api/v1/communities/"+id+"/chain/order", string(b), li); r.status != 200 {
			t.Fatalf("api reorder %d %s", r.status, r.body)
		}
		if r := s.do("POST", "/api/v1/communities/"+id+"/chain/order", string(b), li); r.status != 200 {
			t.Fatalf("api reorder again %d %s", r.status, r.body)
		}
		r = s.do("POST", "/api/v1/communities/"+id+"/contacts/"+cid+"/reveal", `{"reason":"to plan the forum"}`, "a/supervisor")
		if r.status != 200 || !strings.Contains(r.body, "Abu Zzyzx") {
			t.Fatalf("api reveal %d %s", r.status, r.body)
		}
		r = s.do("GET", "/api/v1/communities/"+id, "", "a/comms_officer")
		if r.status != 200 || strings.Contains(r.body, "contacts") {
			t.Fatalf("comms api view %d %s", r.status, r.body)
		}
	})
}
