package app_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	. "inoculate/internal/platform/authz"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// anyone and signedIn mark routes open to everyone / every signed-in user.
var (
	anyone   = []Role{"*anonymous*"}
	signedIn = Roles
	listers  = []Role{CaseWorker, Supervisor, LegalOfficer, SafetyOfficer, CommunityLiaison, CommsOfficer}
	intake   = []Role{CaseWorker, Supervisor}
	revealer = []Role{CaseWorker, Supervisor, LegalOfficer, SafetyOfficer}
)

// expected is the permission table written out by hand: every route the server
// registers must appear here, and each role may reach exactly the routes listed.
// It is deliberately not derived from the code it checks.
var expected = map[string][]Role{
	"GET /{$}":                           signedIn,
	"GET /returnees":                     listers,
	"GET /returnees/new":                 intake,
	"POST /returnees":                    intake,
	"GET /returnees/{id}":                listers,
	"POST /returnees/{id}/reveal":        revealer,
	"POST /returnees/{id}/erase":         {Supervisor},
	"GET /login":                         anyone,
	"POST /login":                        anyone,
	"GET /login/totp":                    signedIn,
	"POST /login/totp":                   signedIn,
	"GET /login/enrol":                   signedIn,
	"GET /login/enrol/qr.png":            signedIn,
	"POST /login/enrol":                  signedIn,
	"GET /login/step-up":                 signedIn,
	"POST /login/step-up":                signedIn,
	"POST /logout":                       signedIn,
	"GET /setup/{token}":                 anyone,
	"POST /setup/{token}":                anyone,
	"GET /admin/users":                   {Admin},
	"GET /admin/users/new":               {Admin},
	"POST /admin/users":                  {Admin},
	"POST /admin/users/{id}/role":        {Admin},
	"POST /admin/users/{id}/disable":     {Admin},
	"POST /admin/users/{id}/reset-totp":  {Admin},
	"GET /audit":                         {Auditor},
	"GET /audit/checkpoint":              {Auditor},
	"GET /api/v1/returnees":              listers,
	"POST /api/v1/returnees":             intake,
	"GET /api/v1/returnees/{id}":         listers,
	"POST /api/v1/returnees/{id}/reveal": revealer,
	"GET /api/v1/health":                 anyone,
}

// bodies are what each state-changing route is sent: enough to get past input
// checks to the object lookup, so the other-tenant case really tests isolation.
var bodies = map[string]string{
	"POST /returnees/{id}/reveal":        form("reason", "authorization matrix check"),
	"POST /api/v1/returnees/{id}/reveal": `{"reason":"authorization matrix check"}`,
	"POST /admin/users/{id}/role":        form("role", "case_worker"),
	"POST /api/v1/returnees":             `{}`,
	"POST /login/step-up":                form("password", fixturePassword, "next", "/"),
}

func TestAuthorizationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		routes := f.app.Site.Routes()
		seen := map[string]bool{}
		for _, rt := range routes {
			seen[rt.Pattern] = true
			if _, ok := expected[rt.Pattern]; !ok {
				t.Errorf("route %q (permission %s) has no entry in the authorization matrix: add it to expected", rt.Pattern, rt.Perm.Name)
			}
		}
		for p := range expected {
			if !seen[p] {
				t.Errorf("matrix entry %q matches no registered route", p)
			}
		}
		// Credentials first (creating them is a change), then GETs, checking they
		// change nothing; then the state-changing methods.
		for _, r := range Roles {
			f.session("A", r)
			f.token("A", r)
		}
		before := snapshot(t, db)
		for _, rt := range routes {
			if strings.HasPrefix(rt.Pattern, "GET ") {
				checkRoute(t, f, rt.Pattern)
			}
		}
		if after := snapshot(t, db); after != before {
			t.Errorf("GET requests changed stored state:\nbefore %s\nafter  %s", before, after)
		}
		for _, rt := range routes {
			if !strings.HasPrefix(rt.Pattern, "GET ") {
				checkRoute(t, f, rt.Pattern)
			}
		}
	})
}

// checkRoute sends pattern as anonymous and as every role of tenant A, on tenant
// A's object and on tenant B's.
func checkRoute(t *testing.T, f *fixture, pattern string) {
	t.Helper()
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.TrimSuffix(path, "{$}")
	allowed := expected[pattern]
	public := slices.Equal(allowed, anyone)
	objects := map[string]string{"own": objectID(f, path, "A"), "other": objectID(f, path, "B")}
	body := bodies[pattern]

	// Anonymous.
	res := f.do(method, strings.ReplaceAll(path, "{id}", objects["own"]), body, "", "", nil)
	if !public {
		if res.status != http.StatusUnauthorized && !(res.status == http.StatusSeeOther && strings.HasPrefix(res.header.Get("Location"), "/login")) {
			t.Errorf("%s anonymous: status %d, want 401 or a redirect to /login", pattern, res.status)
		}
	}
	noLeak(t, pattern+" anonymous", res, f, false)

	for _, role := range Roles {
		ok := public || slices.Contains(allowed, role)
		for which, obj := range objects {
			if which == "other" && !strings.Contains(path, "{id}") {
				continue
			}
			p := strings.ReplaceAll(path, "{id}", obj)
			res := f.do(method, p, body, "A", role, nil)
			name := fmt.Sprintf("%s as %s (%s object)", pattern, role, which)
			switch {
			case !ok:
				if res.status != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", name, res.status)
				}
				noLeak(t, name, res, f, false)
			case which == "other":
				if res.status != http.StatusNotFound {
					t.Errorf("%s: status %d, want 404 for another tenant's object", name, res.status)
				}
				noLeak(t, name, res, f, false)
			default:
				if res.status == http.StatusForbidden || (!public && res.status == http.StatusUnauthorized) {
					t.Errorf("%s: status %d, want the route to let this role in", name, res.status)
				}
				revealing := strings.HasSuffix(pattern, "/reveal")
				noLeak(t, name, res, f, revealing)
				if revealing && !strings.Contains(res.body, "CANARY-NAME-A") {
					t.Errorf("%s: reveal did not show the identity (status %d)", name, res.status)
				}
			}
			if pattern == "POST /logout" || pattern == "POST /login/step-up" {
				delete(f.sessions, "A/"+string(role)) // that session id is over (ended or rotated)
			}
		}
	}
}

// objectID picks the object a route's {id} names in tenant k.
func objectID(f *fixture, path, k string) string {
	switch {
	case strings.Contains(path, "/returnees/"):
		return f.returnee[k].ID
	case strings.Contains(path, "/admin/users/"):
		return f.victim[k].ID
	case strings.Contains(path, "/setup/"):
		return "not-a-valid-setup-link"
	}
	return ""
}

// noLeak checks a response shows no identity canary (unless it is an allowed reveal
// of tenant A's own returnee) and nothing at all of tenant B.
func noLeak(t *testing.T, name string, res response, f *fixture, ownRevealAllowed bool) {
	t.Helper()
	for _, c := range []string{"CANARY-NAME-B", "CANARY-ADDRESS-B", f.returnee["B"].Alias} {
		if strings.Contains(res.body, c) {
			t.Errorf("%s: response contains tenant B's %q", name, c)
		}
	}
	if !ownRevealAllowed {
		for _, c := range []string{"CANARY-NAME-A", "CANARY-ADDRESS-A", "7946"} {
			if strings.Contains(res.body, c) {
				t.Errorf("%s: response contains identity data %q", name, c)
			}
		}
	}
}

// snapshot summarises the stored records a GET must never change. The audit log and
// sessions are excluded: reads are audited and signing in is not a record change.
func snapshot(t *testing.T, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT COUNT(*) FROM tenants", "SELECT COUNT(*) FROM users", "SELECT COUNT(*) FROM returnees",
		"SELECT COUNT(*) FROM data_keys", "SELECT COUNT(*) FROM identity_reveals", "SELECT COUNT(*) FROM api_tokens",
		"SELECT COUNT(*) FROM users WHERE disabled = " + boolLit(db, true), "SELECT COUNT(*) FROM returnees WHERE erased_at IS NOT NULL",
	} {
		var n int
		if err := db.Reader().QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d ", n)
	}
	return b.String()
}

func boolLit(db *store.DB, v bool) string {
	if db.Dialect() == store.Postgres {
		return fmt.Sprint(v)
	}
	if v {
		return "1"
	}
	return "0"
}
