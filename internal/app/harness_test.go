package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"inoculate/internal/app"
	"inoculate/internal/communities"
	"inoculate/internal/engagements"
	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
	"inoculate/internal/platform/web"
	"inoculate/internal/reach/model"
	"inoculate/internal/returnees"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/legal"
	"inoculate/internal/testimonies"
)

// fixture is a running server over one store with two tenants, A and B, each with a
// user per role (demo users: password only, so sessions are quick to get), a victim
// user to act on, and a returnee.
type fixture struct {
	t    *testing.T
	dir  string // the data directory
	app  *app.App
	srv  *httptest.Server
	ten  map[string]auth.Tenant
	user map[string]map[authz.Role]auth.User // tenant key → role → user
	pass string
	// victim and returnee per tenant key
	victim     map[string]auth.User
	returnee   map[string]returnees.Returnee
	team       map[string]returnees.Team
	community  map[string]communities.Community
	engagement map[string]engagements.Engagement
	plan       map[string]model.Plan
	testimony  map[string]testimonies.Testimony
	pending    map[string]returnees.AccessRequest // a request waiting for a custodian
	sessions   map[string]string                  // "A/role" → session token
	tokens     map[string]string                  // "A/role" → API token
}

const fixturePassword = "correct horse battery staple"

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	keys, err := vault.OpenKeyFile(filepath.Join(dir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Config{DataDir: dir}, db, keys)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, app: a, ten: map[string]auth.Tenant{}, user: map[string]map[authz.Role]auth.User{},
		pass: fixturePassword, victim: map[string]auth.User{}, returnee: map[string]returnees.Returnee{},
		team: map[string]returnees.Team{}, pending: map[string]returnees.AccessRequest{}, community: map[string]communities.Community{}, engagement: map[string]engagements.Engagement{}, plan: map[string]model.Plan{}, testimony: map[string]testimonies.Testimony{},
		sessions: map[string]string{}, tokens: map[string]string{}}
	cli := auth.Actor{UserID: "cli"}
	for _, k := range []string{"A", "B"} {
		tn, err := a.Auth.CreateTenant(ctx, cli, "tenant-"+strings.ToLower(k), "Tenant "+k, true) // demo tenant: its users sign in by password alone, which keeps the matrix fast
		if err != nil {
			t.Fatal(err)
		}
		f.ten[k] = tn
		f.user[k] = map[authz.Role]auth.User{}
		for _, r := range authz.Roles {
			u, err := a.Auth.CreateUser(ctx, cli, tn.ID, strings.ReplaceAll(string(r), "_", "-"), r, f.pass, true)
			if err != nil {
				t.Fatal(err)
			}
			f.user[k][r] = u
		}
		v, err := a.Auth.CreateUser(ctx, cli, tn.ID, "victim", authz.CaseWorker, f.pass, true)
		if err != nil {
			t.Fatal(err)
		}
		f.victim[k] = v
		cw := f.user[k][authz.CaseWorker]
		p := &authz.Principal{TenantID: tn.ID, UserID: cw.ID, Role: authz.CaseWorker, Stage: authz.StageFull}
		ret, err := a.Returnees.Create(ctx, p, "test", returnees.NewReturnee{Alias: "Alias " + k,
			Identity: returnees.Identity{LegalName: "CANARY-NAME-" + k, BirthDate: "1990-01-02", Phone: "+44 20 7946 0000", Address: "CANARY-ADDRESS-" + k}})
		if err != nil {
			t.Fatal(err)
		}
		f.returnee[k] = ret
		sup := &authz.Principal{TenantID: tn.ID, UserID: f.user[k][authz.Supervisor].ID, Role: authz.Supervisor, Stage: authz.StageFull}
		if f.team[k], err = a.Returnees.CreateTeam(ctx, sup, "test", "Team "+k); err != nil {
			t.Fatal(err)
		}
		if f.community[k], err = a.Communities.Create(ctx, sup, "test", communities.NewCommunity{Name: "Community " + k, Kind: "place", Languages: []string{"ar"}}); err != nil {
			t.Fatal(err)
		}
		li := &authz.Principal{TenantID: tn.ID, UserID: f.user[k][authz.CommunityLiaison].ID, Role: authz.CommunityLiaison, Stage: authz.StageFull}
		if f.engagement[k], err = a.Engagements.Create(ctx, li, "test", engagements.Input{Kind: engagements.KindPublicForum, Title: "Forum " + k,
			CommunityID: f.community[k].ID, Venue: "Hall " + k, VenueDetails: "CANARY-ADDRESS-" + k, Start: time.Now().UTC().Add(72 * time.Hour).Format("2006-01-02T15:04"),
			Minutes: 60, TimeZone: "UTC", Language: "ar", Audience: engagements.AudienceCommunity, IdentityLevel: "alias_protected"}); err != nil {
			t.Fatal(err)
		}
		cell, err := a.ReachModel.CreateCell(ctx, li, "test", model.CellInput{CommunityID: f.community[k].ID, Language: "ar", AgeBand: "18-24",
			Size: 1000, Source: "test figures", Year: 2025})
		if err != nil {
			t.Fatal(err)
		}
		if f.plan[k], err = a.ReachModel.SavePlan(ctx, li, "test", model.PlanInput{Name: "Plan " + k, TargetCells: []string{cell.ID},
			BudgetMoney: 100, Epsilon: 0.1}); err != nil {
			t.Fatal(err)
		}
		co := &authz.Principal{TenantID: tn.ID, UserID: f.user[k][authz.CommsOfficer].ID, Role: authz.CommsOfficer, Stage: authz.StageFull}
		if f.testimony[k], err = a.Testimonies.Create(ctx, co, "test", testimonies.Input{ReturneeID: ret.ID, Title: "Testimony " + k, Language: "ar"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Testimonies.ImportTranscript(ctx, co, "test", f.testimony[k].ID, "en", []byte("1\n00:00:01,000 --> 00:00:03,000\nI am CANARY-NAME-"+k+".\n")); err != nil {
			t.Fatal(err)
		}
		// The liaison and the admin hold an approved access to the identity; another
		// request waits for a custodian.
		for _, r := range []authz.Role{authz.CommunityLiaison, authz.Admin} {
			req := &authz.Principal{TenantID: tn.ID, UserID: f.user[k][r].ID, Role: r, Stage: authz.StageFull}
			ar, err := a.Returnees.RequestAccess(ctx, req, "test", ret.ID, "preparing the community forum together")
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Returnees.DecideAccess(ctx, sup, "test", ar.ID, true, 0); err != nil {
				t.Fatal(err)
			}
		}
		vp := &authz.Principal{TenantID: tn.ID, UserID: f.user[k][authz.CommunityLiaison].ID, Role: authz.CommunityLiaison, Stage: authz.StageFull}
		if f.pending[k], err = a.Returnees.RequestAccess(ctx, vp, "test", ret.ID, "a second request, still waiting"); err != nil {
			t.Fatal(err)
		}
	}
	f.srv = httptest.NewServer(a.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// doJSON sends a JSON body to a browser route (the upload protocol's Create).
func (f *fixture) doJSON(method, path, body, k string, r authz.Role) response {
	f.t.Helper()
	return f.do(method, path, body, k, r, map[string]string{"Content-Type": "application/json"})
}

// session signs in (tenant k, role r) and caches the session token.
func (f *fixture) session(k string, r authz.Role) string {
	f.t.Helper()
	key := k + "/" + string(r)
	if s, ok := f.sessions[key]; ok {
		return s
	}
	res, err := f.app.Auth.Login(context.Background(), f.ten[k].Slug, f.user[k][r].Name, f.pass, "192.0.2.1", "test")
	if err != nil {
		f.t.Fatalf("login %s: %v", key, err)
	}
	if res.Stage != authz.StageFull {
		f.t.Fatalf("login %s: stage %s", key, res.Stage)
	}
	f.sessions[key] = res.Token
	return res.Token
}

// token returns an API token of (tenant k, role r).
func (f *fixture) token(k string, r authz.Role) string {
	f.t.Helper()
	key := k + "/" + string(r)
	if s, ok := f.tokens[key]; ok {
		return s
	}
	_, raw, err := f.app.Auth.CreateToken(context.Background(), auth.Actor{UserID: "cli"}, f.ten[k].ID, f.user[k][r].ID)
	if err != nil {
		f.t.Fatal(err)
	}
	f.tokens[key] = raw
	return raw
}

// client never follows redirects, so tests see them.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request as (tenant, role): a session cookie for pages, a bearer token
// for the API; role "" is anonymous. Go's cookie jar will not send Secure cookies
// over plain http, so the cookie goes in by hand.
func (f *fixture) do(method, path, body string, k string, r authz.Role, hdr map[string]string) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if r != "" {
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+f.token(k, r))
		} else {
			req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: f.session(k, r)})
		}
	}
	for h, v := range hdr {
		req.Header.Set(h, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func auditFilter(action string) audit.Filter { return audit.Filter{Limit: 10, Action: action} }

func timeNow() time.Time { return time.Now() }

func legalYes() legal.ScreeningInput {
	return legal.ScreeningInput{CapitalCrime: legal.FindingYes, Offences: []legal.Offence{{Description: "fictional"}}, ReferralAuthority: "Fictional prosecutor"}
}

func assessmentHigh() assessment.Level { return assessment.LevelHigh }
