package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/auth"
	. "inoculate/internal/platform/authz"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/web"
)

// scenario is one request and what its answer must and must not hold.
type scenario struct {
	name          string
	method, path  string
	body          string
	role          Role // "" = anonymous; tenant A
	header        map[string]string
	status        int
	contains      []string
	notContains   []string
	headerMatches map[string]string // header → substring
}

func TestScenarios(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		own := f.returnee["A"].ID
		scenarios := []scenario{
			{name: "login page", method: "GET", path: "/login", status: 200,
				contains: []string{`<html lang="en" dir="ltr">`, `name="password"`, `autocomplete="current-password"`}},
			{name: "login page in Arabic by Accept-Language", method: "GET", path: "/login", header: map[string]string{"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"},
				status: 200, contains: []string{`<html lang="ar" dir="rtl">`, "كلمة المرور"}},
			{name: "?lang=ar wins and is remembered", method: "GET", path: "/login?lang=ar", header: map[string]string{"Accept-Language": "en"},
				status: 200, contains: []string{`dir="rtl"`}, headerMatches: map[string]string{"Set-Cookie": web.LangCookie + "=ar"}},
			{name: "unsupported language falls back to English", method: "GET", path: "/login?lang=xx", status: 200, contains: []string{`lang="en"`}},
			{name: "our 404 page, in Arabic", method: "GET", path: "/no/such/page", header: map[string]string{"Accept-Language": "ar"}, status: 404,
				contains: []string{`dir="rtl"`}, notContains: []string{"404 page not found"}},
			{name: "wrong method is a clean 404", method: "DELETE", path: "/login", status: 404},
			{name: "anonymous page redirects to login", method: "GET", path: "/returnees", status: 303,
				headerMatches: map[string]string{"Location": "/login"}},
			{name: "cross-site form post is refused", method: "POST", path: "/returnees", body: form("alias", "x", "legal_name", "y"), role: CaseWorker,
				header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, status: 403},
			{name: "cross-origin API post is refused", method: "POST", path: "/api/v1/returnees", body: `{"alias":"x","legal_name":"y"}`, role: CaseWorker,
				header: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 403},
			{name: "dashboard shows counts for the role", method: "GET", path: "/", role: CaseWorker, status: 200,
				contains: []string{"stat-value", `href="/returnees"`}, notContains: []string{`href="/admin/users"`, `href="/audit"`}},
			{name: "returnee list shows aliases only", method: "GET", path: "/returnees", role: CommsOfficer, status: 200,
				contains: []string{"Alias A"}, notContains: []string{"CANARY", "New returnee"}},
			{name: "form errors say which field, in Arabic", method: "POST", path: "/returnees", body: form("alias", "", "legal_name", "x"), role: CaseWorker,
				header: map[string]string{"Accept-Language": "ar"}, status: 422, contains: []string{"الاسم المستعار", "field-error"}},
			{name: "a reveal without a reason is refused and shows nothing", method: "POST", path: "/returnees/" + own + "/reveal", body: form("reason", "x"), role: CaseWorker,
				status: 422, contains: []string{"at least 10 characters"}, notContains: []string{"CANARY"}},
			{name: "API health", method: "GET", path: "/api/v1/health", status: 200, contains: []string{`"status":"ok"`}},
			{name: "API without a token", method: "GET", path: "/api/v1/returnees", status: 401, contains: []string{`"error":"unauthorized"`}},
			{name: "API with a bad token", method: "GET", path: "/api/v1/returnees", header: map[string]string{"Authorization": "Bearer inoc_nope"}, status: 401,
				headerMatches: map[string]string{"WWW-Authenticate": "Bearer"}},
			{name: "API unknown field refused (no mass assignment)", method: "POST", path: "/api/v1/returnees", role: CaseWorker,
				body: `{"alias":"z","legal_name":"n","tenant_id":"B"}`, status: 400, contains: []string{`"field":"tenant_id"`}},
			{name: "API trailing data refused", method: "POST", path: "/api/v1/returnees", role: CaseWorker, body: `{"alias":"z","legal_name":"n"}{}`, status: 400},
			{name: "API oversized body refused", method: "POST", path: "/api/v1/returnees", role: CaseWorker,
				body: `{"alias":"` + strings.Repeat("a", web.MaxJSONBytes) + `"}`, status: 400, contains: []string{"too large"}},
			{name: "form oversized body refused", method: "POST", path: "/returnees", role: CaseWorker,
				body: "alias=" + strings.Repeat("a", web.MaxFormBytes), status: 400},
			{name: "API other tenant's returnee is not found", method: "GET", path: "/api/v1/returnees/" + f.returnee["B"].ID, role: Supervisor, status: 404,
				notContains: []string{"Alias B"}},
			{name: "unhashed asset name is not served", method: "GET", path: "/static/app.css", status: 404},
		}
		for _, s := range scenarios {
			t.Run(s.name, func(t *testing.T) {
				k := "A"
				res := f.do(s.method, s.path, s.body, k, s.role, s.header)
				if res.status != s.status {
					t.Errorf("status %d, want %d; body %.300s", res.status, s.status, res.body)
				}
				for _, c := range s.contains {
					if !strings.Contains(res.body, c) {
						t.Errorf("body lacks %q; body %.500s", c, res.body)
					}
				}
				for _, c := range s.notContains {
					if strings.Contains(res.body, c) {
						t.Errorf("body contains %q", c)
					}
				}
				for h, want := range s.headerMatches {
					if got := strings.Join(res.header.Values(h), "\n"); !strings.Contains(got, want) {
						t.Errorf("header %s = %q, want it to contain %q", h, got, want)
					}
				}
				checkSecurityHeaders(t, res)
			})
		}
		if m := f.app.Site.I18n.MissingKeys(); len(m) > 0 {
			t.Errorf("missing catalogue keys: %v", m)
		}
	})
}

// checkSecurityHeaders asserts the headers every response carries, errors included.
func checkSecurityHeaders(t *testing.T, res response) {
	t.Helper()
	csp := res.header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "script-src 'self' 'nonce-", "form-action 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows unsafe code: %q", csp)
	}
	want := map[string]string{
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Strict-Transport-Security":    "max-age=",
	}
	for h, v := range want {
		if !strings.Contains(res.header.Get(h), v) {
			t.Errorf("header %s = %q, want %q", h, res.header.Get(h), v)
		}
	}
	if res.header.Get("Server") != "" {
		t.Errorf("Server header present: %q", res.header.Get("Server"))
	}
	if res.status != 404 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
		if cc := res.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
	}
	if strings.Contains(res.body, "<script>") || strings.Contains(res.body, " style=") || strings.Contains(res.body, " onclick=") {
		t.Errorf("inline script or style in the page")
	}
}

func TestAPIContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		res := f.do("POST", "/api/v1/returnees", `{"alias":"Walnut","legal_name":"API Canary Name","birth_date":"1992-05-06","phone":"+1 202 555 0147","address":"API canary address"}`, "A", CaseWorker, nil)
		if res.status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.status, res.body)
		}
		var created map[string]any
		if err := json.Unmarshal([]byte(res.body), &created); err != nil {
			t.Fatal(err)
		}
		if keys := sortedKeys(created); !slices.Equal(keys, []string{"alias", "id"}) || created["alias"] != "Walnut" {
			t.Fatalf("create answered %v, want exactly id and alias", created)
		}
		id := created["id"].(string)
		for _, role := range []Role{CaseWorker, CommsOfficer, CommunityLiaison} {
			res = f.do("GET", "/api/v1/returnees/"+id, "", "A", role, nil)
			var got map[string]any
			if err := json.Unmarshal([]byte(res.body), &got); err != nil || res.status != 200 {
				t.Fatalf("get as %s: %d %s", role, res.status, res.body)
			}
			for _, k := range []string{"legal_name", "birth_date", "phone", "address"} {
				if _, ok := got[k]; ok {
					t.Errorf("GET as %s has identity field %q", role, k)
				}
			}
			if strings.Contains(res.body, "Canary") || strings.Contains(res.body, "canary") {
				t.Errorf("GET as %s leaks identity: %s", role, res.body)
			}
		}
		res = f.do("POST", "/api/v1/returnees/"+id+"/reveal", `{"reason":"checking the contract of the API"}`, "A", LegalOfficer, nil)
		var idn map[string]string
		if err := json.Unmarshal([]byte(res.body), &idn); err != nil || res.status != 200 {
			t.Fatalf("reveal: %d %s", res.status, res.body)
		}
		if idn["legal_name"] != "API Canary Name" || idn["birth_date"] != "1992-05-06" || idn["phone"] != "+12025550147" || idn["address"] != "API canary address" {
			t.Errorf("reveal answered %v", idn)
		}
		// The reveal is in the audit log with the request's id.
		rid := res.header.Get("X-Request-Id")
		recs, err := f.app.Audit.List(context.Background(), db.Reader(), f.ten["A"].ID, auditFilter("returnee.reveal"))
		if err != nil || len(recs) == 0 || recs[0].Object != id || recs[0].RequestID != rid || recs[0].Role != string(LegalOfficer) {
			t.Errorf("latest reveal audit record %+v (request id %q), err %v", recs, rid, err)
		}
		res = f.do("POST", "/api/v1/returnees/"+id+"/reveal", `{"reason":"checking the contract of the API"}`, "A", CommsOfficer, nil)
		if res.status != 403 || strings.Contains(res.body, "Canary") {
			t.Errorf("comms officer reveal: %d %s", res.status, res.body)
		}
	})
}

func TestStepUpAndImmediateRevocation(t *testing.T) {
	db := storetest.SQLite(t)
	f := newFixture(t, db)
	ctx := context.Background()
	own := f.returnee["A"].ID
	tok := f.session("A", Supervisor)
	// Make the sign-in ten minutes old: revealing now needs a fresh sign-in.
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE sessions SET auth_at = ? WHERE user_id = ?`, store.Millis(time.Now().Add(-10*time.Minute)), f.user["A"][Supervisor].ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	res := f.do("GET", "/returnees/"+own, "", "A", Supervisor, nil)
	if res.status != 200 || !strings.Contains(res.body, "/login/step-up?next=/returnees/"+own) || strings.Contains(res.body, `action="/returnees/`+own+`/reveal"`) {
		t.Errorf("stale session's returnee page should offer step-up, not the reveal form (status %d)", res.status)
	}
	res = f.do("POST", "/returnees/"+own+"/reveal", form("reason", "a reason that is long enough"), "A", Supervisor, nil)
	if res.status != 403 || strings.Contains(res.body, "CANARY") {
		t.Errorf("stale reveal: status %d, want 403 and no identity", res.status)
	}
	res = f.do("POST", "/login/step-up", form("password", "wrong password here", "next", "/returnees/"+own), "A", Supervisor, nil)
	if res.status != 401 {
		t.Errorf("step-up with a wrong password: %d", res.status)
	}
	res = f.do("POST", "/login/step-up", form("password", fixturePassword, "next", "/returnees/"+own), "A", Supervisor, nil)
	if res.status != 303 || res.header.Get("Location") != "/returnees/"+own {
		t.Fatalf("step-up: %d → %q", res.status, res.header.Get("Location"))
	}
	fresh := ""
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == web.SessionCookie {
			fresh = c.Value
		}
	}
	if fresh == "" || fresh == tok {
		t.Fatalf("step-up did not rotate the session id")
	}
	if _, err := f.app.Auth.Authenticate(ctx, tok); err == nil {
		t.Errorf("the session id from before step-up still works")
	}
	f.sessions["A/"+string(Supervisor)] = fresh
	res = f.do("POST", "/returnees/"+own+"/reveal", form("reason", "a reason that is long enough"), "A", Supervisor, nil)
	if res.status != 200 || !strings.Contains(res.body, "CANARY-NAME-A") {
		t.Errorf("reveal after step-up: %d", res.status)
	}
	// A role taken away applies to the very next request.
	res = f.do("GET", "/returnees", "", "A", LegalOfficer, nil)
	if res.status != 200 {
		t.Fatalf("legal officer list: %d", res.status)
	}
	if err := f.app.Auth.SetRole(ctx, auth.Actor{UserID: "cli"}, f.ten["A"].ID, f.user["A"][LegalOfficer].ID, Evaluator); err != nil {
		t.Fatal(err)
	}
	res = f.do("GET", "/returnees", "", "A", LegalOfficer, nil)
	if res.status == 200 {
		t.Errorf("after the role change the old role still works")
	}
	if _, err := f.app.Auth.AuthenticateToken(ctx, f.token("A", LegalOfficer)); err != nil {
		t.Fatal(err)
	}
	if res := f.do("GET", "/api/v1/returnees", "", "A", LegalOfficer, nil); res.status != 403 {
		t.Errorf("the API token kept the old role: %d", res.status)
	}
}

func TestLogoutEndsTheSessionAndCookiesAreStrict(t *testing.T) {
	db := storetest.SQLite(t)
	f := newFixture(t, db)
	req := form("org", f.ten["A"].Slug, "name", f.user["A"][CaseWorker].Name, "password", fixturePassword)
	res := f.do("POST", "/login", req, "", "", nil)
	if res.status != 303 {
		t.Fatalf("login: %d", res.status)
	}
	sc := res.header.Get("Set-Cookie")
	for _, want := range []string{web.SessionCookie + "=", "Path=/", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(sc, want) {
			t.Errorf("session cookie %q lacks %q", sc, want)
		}
	}
	if strings.Contains(strings.ToLower(sc), "domain=") {
		t.Errorf("session cookie has a Domain: %q", sc)
	}
	tok := strings.TrimPrefix(strings.SplitN(sc, ";", 2)[0], web.SessionCookie+"=")
	f.sessions["A/"+string(CaseWorker)] = tok
	if res := f.do("GET", "/returnees", "", "A", CaseWorker, nil); res.status != 200 {
		t.Fatalf("after login: %d", res.status)
	}
	res = f.do("POST", "/logout", "", "A", CaseWorker, nil)
	if res.status != 303 || !strings.Contains(res.header.Get("Clear-Site-Data"), "cache") {
		t.Errorf("logout: %d, Clear-Site-Data %q", res.status, res.header.Get("Clear-Site-Data"))
	}
	if res := f.do("GET", "/returnees", "", "A", CaseWorker, nil); res.status != 303 || !strings.HasPrefix(res.header.Get("Location"), "/login") {
		t.Errorf("the old cookie still works after logout: %d", res.status)
	}
	// Unknown user and wrong password look the same.
	a := f.do("POST", "/login", form("org", f.ten["A"].Slug, "name", "nobody-here", "password", "whatever password"), "", "", nil)
	b := f.do("POST", "/login", form("org", f.ten["A"].Slug, "name", f.user["A"][Auditor].Name, "password", "whatever password"), "", "", nil)
	same := func(body, name string) string { return strings.ReplaceAll(stripNonce(body), name, "NAME") }
	if a.status != b.status || a.status != 401 || same(a.body, "nobody-here") != same(b.body, f.user["A"][Auditor].Name) {
		t.Errorf("unknown user (%d) and wrong password (%d) answer differently", a.status, b.status)
	}
}

// stripNonce removes the per-response parts (CSP nonce) so two pages can be compared.
func stripNonce(s string) string {
	for {
		i := strings.Index(s, `nonce="`)
		if i < 0 {
			return s
		}
		j := strings.Index(s[i+7:], `"`)
		s = s[:i] + s[i+7+j+1:]
	}
}

func sortedKeys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// TestDashboardAlertsOverdueCheckIns: a check-in owed after an engagement ten days
// ago shows on the dashboard of those who care for the person, and only theirs.
func TestDashboardAlertsOverdueCheckIns(t *testing.T) {
	db := storetest.SQLite(t)
	f := newFixture(t, db)
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return f.app.Assess.CheckInDueAfterEngagement(ctx, tx, f.ten["A"].ID, f.returnee["A"].ID, time.Now().AddDate(0, 0, -10))
	})
	if err != nil {
		t.Fatal(err)
	}
	res := f.do("GET", "/", "", "A", CaseWorker, nil)
	if res.status != 200 || !strings.Contains(res.body, "check-in is overdue") || !strings.Contains(res.body, "/returnees/"+f.returnee["A"].ID+"/safety") {
		t.Errorf("case worker's dashboard lacks the overdue check-in (status %d)", res.status)
	}
	for _, r := range []Role{CommsOfficer, Admin} {
		if res := f.do("GET", "/", "", "A", r, nil); strings.Contains(res.body, "check-in") || strings.Contains(res.body, f.returnee["A"].Alias) {
			t.Errorf("%s sees the overdue check-in", r)
		}
	}
	if res := f.do("GET", "/", "", "B", CaseWorker, nil); strings.Contains(res.body, "check-in is overdue") {
		t.Errorf("another tenant's case worker sees the overdue check-in")
	}
}
