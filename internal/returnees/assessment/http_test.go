package assessment_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/web"
	"inoculate/internal/platform/web/static"
	"inoculate/internal/returnees/assessment"
)

// fakeAuth signs in by user key: the session cookie or bearer token is the key of
// env.user. Authentication itself is tested where it lives; here it only says who.
type fakeAuth struct{ e *env }

func (f fakeAuth) Authenticate(_ context.Context, tok string) (*authz.Principal, error) {
	p, ok := f.e.user[tok]
	if !ok {
		return nil, errs.E(errs.Unauthorized, "no such session")
	}
	cp := *p
	cp.Via, cp.AuthAt = "session", f.e.now
	return &cp, nil
}

func (f fakeAuth) AuthenticateToken(ctx context.Context, tok string) (*authz.Principal, error) {
	p, err := f.Authenticate(ctx, tok)
	if p != nil {
		p.Via = "token"
	}
	return p, err
}

type server struct {
	t *testing.T
	e *env
	h http.Handler
}

func newServer(t *testing.T) *server {
	t.Helper()
	e := setup(t, storetest.SQLite(t))
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
	site.Now = func() time.Time { return e.now }
	e.svc.UserName = func(_, id string) string { return "name-of-" + id }
	if err := assessment.Register(site, e.svc, e.ret); err != nil {
		t.Fatal(err)
	}
	return &server{t: t, e: e, h: site.Handler()}
}

type response struct {
	status   int
	body     string
	location string
}

// do sends a request as user: a form body for the browser, JSON for /api/.
func (s *server) do(user, method, path, body string) response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "https://inoculate.test"+path, rd)
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+user)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
	} else {
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: user})
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return response{status: rec.Code, body: rec.Body.String(), location: rec.Header().Get("Location")}
}

func count(body, pattern string) int {
	return len(regexp.MustCompile(pattern).FindAllStringIndex(body, -1))
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// itemsForm is a create form for kind k with every item at v.
func itemsForm(k assessment.Kind, v string, extra ...string) string {
	var kv []string
	for _, it := range assessment.InstrumentFor(k).Items {
		kv = append(kv, "item."+it.Key, v)
	}
	return form(append(kv, extra...)...)
}

func TestHTTPRolesAndRoutes(t *testing.T) {
	s := newServer(t)
	id := s.e.c.ID
	scenarios := []struct {
		user, method, path, body string
		status                   int
	}{
		{"co", "GET", "/returnees/" + id + "/assessments", "", 200},
		{"cl", "GET", "/api/v1/returnees/" + id + "/cleared", "", 200},
		{"co", "GET", "/api/v1/returnees/" + id + "/assessments", "", 403},
		{"cl", "GET", "/returnees/" + id + "/safety", "", 403},
		{"lo", "GET", "/returnees/" + id + "/safety", "", 403},
		{"lo", "GET", "/returnees/" + id + "/assessments/readiness_to_speak", "", 403},
		{"cw", "GET", "/returnees/" + id + "/assessments/readiness_to_speak", "", 200},
		{"cw", "GET", "/returnees/" + id + "/assessments/retaliation_threat", "", 403},
		{"so", "GET", "/returnees/" + id + "/assessments/retaliation_threat", "", 200},
		{"cw", "POST", "/returnees/" + id + "/safety/plan", form("base_version", "0", "measures", "m"), 403},
		{"cw", "GET", "/returnees/" + id + "/safety/plan", "", 403},
		{"so", "GET", "/returnees/" + id + "/safety/plan", "", 200},
		{"so", "PUT", "/api/v1/settings/risk-threshold", `{"threshold":"moderate"}`, 403},
		{"sup", "PUT", "/api/v1/settings/risk-threshold", `{"threshold":"critical"}`, 400},
		{"sup", "PUT", "/api/v1/settings/risk-threshold", `{"threshold":"high"}`, 200},
		{"b-sup", "GET", "/returnees/" + id + "/assessments", "", 404},
		{"b-sup", "GET", "/api/v1/returnees/" + id + "/cleared", "", 404},
		// cw2 is a case worker outside this case's caseload.
		{"cw2", "GET", "/api/v1/returnees/" + id + "/cleared", "", 404},
		{"cw", "GET", "/returnees/" + id + "/assessments/no-such-id", "", 404},
		{"cw", "POST", "/api/v1/returnees/" + id + "/assessments/readiness_to_speak", `{"items":{},"surprise":1}`, 400},
	}
	for _, c := range scenarios {
		if got := s.do(c.user, c.method, c.path, c.body); got.status != c.status {
			t.Errorf("%s %s %s: %d, want %d: %.300s", c.user, c.method, c.path, got.status, c.status, got.body)
		}
	}
}

func TestHTTPClearedTurnsGreen(t *testing.T) {
	s := newServer(t)
	id := s.e.c.ID
	base := "/returnees/" + id + "/assessments"

	// Nothing yet: red, every reason listed and failing; the liaison sees only that.
	page := s.do("cl", "GET", base, "")
	if page.status != 200 || count(page.body, `class="clearance not-cleared"`) != 1 || count(page.body, `<li class="check fail"`) != 4 {
		t.Fatalf("empty case page: %d %.2000s", page.status, page.body)
	}
	if strings.Contains(page.body, "data-assessment") || strings.Contains(page.body, "/assessments/readiness_to_speak") {
		t.Fatal("the community liaison sees assessment details")
	}
	var cl struct {
		Cleared bool              `json:"cleared"`
		Reasons []string          `json:"reasons"`
		Checks  []json.RawMessage `json:"checks"`
	}
	res := s.do("co", "GET", "/api/v1/returnees/"+id+"/cleared", "")
	if err := json.Unmarshal([]byte(res.body), &cl); err != nil || cl.Cleared || len(cl.Reasons) != 4 || len(cl.Checks) != 4 {
		t.Fatalf("cleared API: %s (%v)", res.body, err)
	}

	// A bad form comes back with the message next to the item, and records nothing.
	bad := s.do("cw", "POST", base+"/readiness_to_speak", form("item.readiness.willingness", "3"))
	if bad.status != 422 || !strings.Contains(bad.body, `class="field-error"`) || !strings.Contains(bad.body, `value="3" required checked`) {
		t.Fatalf("bad form: %d %.3000s", bad.status, bad.body)
	}

	// The case worker writes readiness and risk; the safety officer the threat.
	created := map[assessment.Kind]string{}
	for _, c := range []struct {
		user string
		kind assessment.Kind
		body string
	}{
		{"cw", assessment.KindReadiness, itemsForm(assessment.KindReadiness, "3", "notes", "CANARY readiness note")},
		{"cw", assessment.KindRisk, itemsForm(assessment.KindRisk, "0")},
		{"so", assessment.KindThreat, itemsForm(assessment.KindThreat, "", "level", "high", "validity_days", "20")},
	} {
		res := s.do(c.user, "POST", base+"/"+string(c.kind), c.body)
		if res.status != 303 || !strings.HasPrefix(res.location, base+"/") {
			t.Fatalf("create %s: %d %s %.2000s", c.kind, res.status, res.location, res.body)
		}
		created[c.kind] = strings.TrimPrefix(strings.Split(res.location, "?")[0], base+"/")
	}

	// The author sees no review form; a supervisor does, and reads the notes.
	readiness := base + "/" + created[assessment.KindReadiness]
	if own := s.do("cw", "GET", readiness, ""); own.status != 200 || strings.Contains(own.body, `id="review"`) {
		t.Fatalf("author's view: %d", own.status)
	}
	sup := s.do("sup", "GET", readiness, "")
	if sup.status != 200 || !strings.Contains(sup.body, `id="review"`) || !strings.Contains(sup.body, "CANARY readiness note") {
		t.Fatalf("supervisor's view: %d %.2000s", sup.status, sup.body)
	}
	// The tab offers the review to the supervisor, not to the author.
	if tab := s.do("sup", "GET", base, ""); count(tab.body, `data-action="review"`) != 3 {
		t.Fatalf("review buttons for the supervisor: %d", count(tab.body, `data-action="review"`))
	}
	if tab := s.do("cw", "GET", base, ""); strings.Contains(tab.body, `data-action="review"`) {
		t.Fatal("the author is offered the review of their own assessments")
	}
	// The safety officer may not review the threat assessment they wrote.
	if res := s.do("so", "POST", base+"/"+created[assessment.KindThreat]+"/review", form("decision", "signed_off")); res.status != 403 {
		t.Fatalf("self-review: %d", res.status)
	}
	if res := s.do("cw", "POST", readiness+"/review", form("decision", "signed_off")); res.status != 403 {
		t.Fatalf("case worker review: %d", res.status)
	}
	// Returning without a reason is re-shown with the message.
	if res := s.do("sup", "POST", readiness+"/review", form("decision", "returned")); res.status != 422 || !strings.Contains(res.body, `id="note-error"`) {
		t.Fatalf("return without a note: %d %.2000s", res.status, res.body)
	}
	for _, k := range assessment.Kinds {
		res := s.do("sup", "POST", base+"/"+created[k]+"/review", form("decision", "signed_off"))
		if res.status != 303 {
			t.Fatalf("sign off %s: %d %.1000s", k, res.status, res.body)
		}
	}
	// High threat without a safety plan: still red, one reason failing.
	s.e.now = s.e.now.Add(time.Minute)
	page = s.do("cl", "GET", base, "")
	if count(page.body, `<li class="check ok"`) != 3 || count(page.body, `<li class="check fail" data-check="safety_plan"`) != 1 {
		t.Fatalf("without a plan: %.3000s", page.body)
	}
	// The safety officer writes the plan; the page turns green.
	res = s.do("so", "POST", "/returnees/"+id+"/safety/plan", form("base_version", "0", "measures", "CANARY measures", "relocation", "on",
		"contact_name_1", "CANARY contact", "contact_phone_1", "+44 20 7946 0002", "checkin_every_days", "7"))
	if res.status != 303 {
		t.Fatalf("save plan: %d %.2000s", res.status, res.body)
	}
	s.e.now = s.e.now.Add(time.Minute)
	page = s.do("cl", "GET", base, "")
	if count(page.body, `class="clearance cleared"`) != 1 || count(page.body, `<li class="check ok"`) != 4 || count(page.body, `class="check fail"`) != 0 {
		t.Fatalf("with a plan: %.3000s", page.body)
	}
	res = s.do("cl", "GET", "/api/v1/returnees/"+id+"/cleared", "")
	if err := json.Unmarshal([]byte(res.body), &cl); err != nil || !cl.Cleared || len(cl.Reasons) != 0 || len(cl.Checks) != 4 {
		t.Fatalf("cleared API: %s", res.body)
	}
	// Twenty days later the threat assessment expires: red again.
	s.e.now = s.e.now.AddDate(0, 0, 20)
	res = s.do("cl", "GET", "/api/v1/returnees/"+id+"/cleared", "")
	if err := json.Unmarshal([]byte(res.body), &cl); err != nil || cl.Cleared || len(cl.Reasons) != 1 {
		t.Fatalf("after expiry: %s", res.body)
	}
}

func TestHTTPSafetyTab(t *testing.T) {
	s := newServer(t)
	id := s.e.c.ID
	page := s.do("cw", "GET", "/returnees/"+id+"/safety", "")
	if page.status != 200 || !strings.Contains(page.body, `class="empty-state"`) || strings.Contains(page.body, "checkin-overdue") {
		t.Fatalf("empty safety tab: %d %.2000s", page.status, page.body)
	}
	res := s.do("sup", "POST", "/returnees/"+id+"/safety/plan", form("base_version", "0", "measures", "CANARY measures", "checkin_every_days", "7"))
	if res.status != 303 {
		t.Fatalf("save plan: %d %.1000s", res.status, res.body)
	}
	// A stale edit keeps what was typed and says why.
	res = s.do("so", "POST", "/returnees/"+id+"/safety/plan", form("base_version", "0", "measures", "my stale edit", "checkin_every_days", "7"))
	if res.status != 422 || !strings.Contains(res.body, "my stale edit") {
		t.Fatalf("stale plan edit: %d %.2000s", res.status, res.body)
	}
	// Ten days later the check-in is three days overdue.
	s.e.now = s.e.now.AddDate(0, 0, 10)
	page = s.do("cw", "GET", "/returnees/"+id+"/safety", "")
	if !strings.Contains(page.body, "checkin-overdue") || !strings.Contains(page.body, "CANARY measures") {
		t.Fatalf("overdue warning: %.3000s", page.body)
	}
	var ov struct {
		Overdue []struct {
			ReturneeID  string `json:"returnee_id"`
			DaysOverdue int    `json:"days_overdue"`
		} `json:"overdue"`
	}
	if err := json.Unmarshal([]byte(s.do("sup", "GET", "/api/v1/checkins/overdue", "").body), &ov); err != nil || len(ov.Overdue) != 1 || ov.Overdue[0].DaysOverdue != 3 {
		t.Fatalf("overdue API for the supervisor: %+v %v", ov, err)
	}
	// A case worker outside the caseload does not learn of it.
	if err := json.Unmarshal([]byte(s.do("cw2", "GET", "/api/v1/checkins/overdue", "").body), &ov); err != nil || len(ov.Overdue) != 0 {
		t.Fatalf("overdue API for another caseload: %+v %v", ov, err)
	}
	if res := s.do("cw", "POST", "/returnees/"+id+"/safety/checkins", form("wellbeing", "9")); res.status != 422 {
		t.Fatalf("bad check-in: %d", res.status)
	}
	if res := s.do("cw", "POST", "/returnees/"+id+"/safety/checkins", form("wellbeing", "2", "concerns", "CANARY sleeps badly")); res.status != 303 {
		t.Fatalf("check-in: %d %.1000s", res.status, res.body)
	}
	page = s.do("so", "GET", "/returnees/"+id+"/safety", "")
	if strings.Contains(page.body, "checkin-overdue") || !strings.Contains(page.body, "CANARY sleeps badly") {
		t.Fatalf("after the check-in: %.3000s", page.body)
	}
	// The API mirrors it.
	res = s.do("cw", "POST", "/api/v1/returnees/"+id+"/checkins", `{"wellbeing": 4, "concerns": ""}`)
	if res.status != 201 {
		t.Fatalf("API check-in: %d %s", res.status, res.body)
	}
	res = s.do("so", "GET", "/api/v1/returnees/"+id+"/safety-plan", "")
	if res.status != 200 || !strings.Contains(res.body, `"version":1`) {
		t.Fatalf("API plan: %d %s", res.status, res.body)
	}
	if res := s.do("so", "POST", "/api/v1/returnees/"+id+"/safety-plan", `{"measures":"m"}`); res.status != 400 {
		t.Fatalf("API plan without base_version: %d %s", res.status, res.body)
	}
	if res := s.do("so", "POST", "/api/v1/returnees/"+id+"/safety-plan", `{"base_version":1,"measures":"m","emergency_contacts":[{"name":"a","phone":"1234"}]}`); res.status != 201 || !strings.Contains(res.body, `"version":2`) {
		t.Fatalf("API plan: %d %s", res.status, res.body)
	}
}

func TestHTTPAPIAssessments(t *testing.T) {
	s := newServer(t)
	id := s.e.c.ID
	items, _ := json.Marshal(all(assessment.KindReadiness, 2))
	res := s.do("cw", "POST", "/api/v1/returnees/"+id+"/assessments/readiness_to_speak", `{"items":`+string(items)+`,"notes":"CANARY"}`)
	if res.status != 201 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var a struct {
		ID        string `json:"id"`
		Ready     bool   `json:"ready"`
		Status    string `json:"status"`
		ExpiresOn string `json:"expires_on"`
		Notes     string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(res.body), &a); err != nil || !a.Ready || a.Status != "pending" || a.ExpiresOn != "2026-05-31" || a.Notes != "" {
		t.Fatalf("created: %s", res.body)
	}
	if res := s.do("cw", "POST", "/api/v1/returnees/"+id+"/assessments/readiness_to_speak", `{"items":{"readiness.willingness":2.5}}`); res.status != 400 {
		t.Fatalf("fractional score: %d %s", res.status, res.body)
	}
	if res := s.do("cw", "POST", "/api/v1/returnees/"+id+"/assessments/readiness_to_speak", `{"items":`+string(items)+`,"level":"low"}`); res.status != 400 {
		t.Fatalf("level given for a computed kind: %d %s", res.status, res.body)
	}
	if res := s.do("cw", "POST", "/api/v1/returnees/"+id+"/assessments/retaliation_threat", `{"items":{},"level":"low"}`); res.status != 403 {
		t.Fatalf("case worker threat via API: %d", res.status)
	}
	if res := s.do("cw", "POST", "/api/v1/returnees/"+id+"/assessments/"+a.ID+"/review", `{"decision":"signed_off"}`); res.status != 403 {
		t.Fatalf("case worker review via API: %d", res.status)
	}
	res = s.do("so", "POST", "/api/v1/returnees/"+id+"/assessments/"+a.ID+"/review", `{"decision":"signed_off"}`)
	if res.status != 200 || !strings.Contains(res.body, `"decision":"signed_off"`) || !strings.Contains(res.body, `"status":"current"`) {
		t.Fatalf("review via API: %d %s", res.status, res.body)
	}
	res = s.do("lo", "GET", "/api/v1/returnees/"+id+"/assessments/"+a.ID, "")
	if res.status != 200 || !strings.Contains(res.body, `"notes":"CANARY"`) {
		t.Fatalf("get via API: %d %s", res.status, res.body)
	}
	res = s.do("lo", "GET", "/api/v1/returnees/"+id+"/assessments", "")
	if res.status != 200 || strings.Contains(res.body, "CANARY") || !strings.Contains(res.body, a.ID) {
		t.Fatalf("list via API (no notes): %d %s", res.status, res.body)
	}
}
