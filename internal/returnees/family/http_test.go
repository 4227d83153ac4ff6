package family_test

import (
	"context"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
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
	"inoculate/internal/returnees/caseref"
	"inoculate/internal/returnees/family"
)

// fakeAuth resolves "<tenant>/<role>" credentials to the env's principals: the tests
// here are about the family routes, not about signing in. A "stale/" prefix gives a
// browser session whose last full sign-in is too old for step-up.
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
	t      *testing.T
	srv    *httptest.Server
	bundle *i18n.Bundle
	ca, cb caseref.Case // Olive in tenant a, Olive in tenant b
}

func newSite(t *testing.T, db *store.DB) *site {
	t.Helper()
	e := setup(t, db)
	bundle, err := i18n.Load()
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
	if err := family.Register(ws, e.svc, e.returnees); err != nil {
		t.Fatal(err)
	}
	s := &site{env: e, t: t, srv: httptest.NewServer(ws.Handler()), bundle: bundle}
	t.Cleanup(s.srv.Close)
	s.ca, s.cb = e.newCase(t, "a", "Olive"), e.newCase(t, "b", "Olive")
	return s
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type resp struct {
	status int
	header http.Header
	body   string
}

// do sends a request as cred ("a/case_worker"; "" is anonymous): a bearer token for
// the API, a session cookie for pages.
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

func formBody(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkMissingKeys fails on any catalogue key looked up but found neither in the
// platform catalogue nor in this package's own translation files (merged later).
func (s *site) checkMissingKeys() {
	s.t.Helper()
	own := map[string]bool{}
	for _, lang := range []string{"en", "ar"} {
		for k := range loadOwn(s.t, lang) {
			own[lang+":"+k] = true
		}
	}
	for _, k := range s.bundle.MissingKeys() {
		if !own[k] {
			s.t.Errorf("key %s looked up but in no catalogue", k)
		}
	}
}

// shows reports whether body shows the message key: its text once the catalogues hold
// this package's translations, the key itself until then.
func (s *site) shows(body, lang, key string) bool {
	if strings.Contains(body, key) {
		return true
	}
	text, ok := loadOwn(s.t, lang)[key].(string)
	return ok && strings.Contains(body, template.HTMLEscapeString(text))
}

func TestAPIViewsPerRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		base := "/api/v1/returnees/" + s.ca.ID + "/family"
		r := s.do("POST", base+"/relatives", `{"relation":"uncle_aunt","stance":"hostile","community":"Al Qaryah","name":"`+canaryName+`","contact":"`+canaryContact+`","notes":"`+canaryNotes+`"}`, "a/case_worker")
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var created map[string]any
		if err := json.Unmarshal([]byte(r.body), &created); err != nil {
			t.Fatal(err)
		}
		relID := created["id"].(string)
		if r := s.do("POST", base+"/milestones", `{"kind":"housing","target_on":"2026-01-01","note":"CANARY-NOTE"}`, "a/supervisor"); r.status != http.StatusCreated {
			t.Fatalf("milestone: %d %s", r.status, r.body)
		}

		full := []string{"community", "created_at", "created_by", "id", "recorded_on", "relation", "sealed", "stance", "updated_at", "updated_by", "version"}
		views := []struct {
			role authz.Role
			keys []string // nil: forbidden
		}{
			{authz.CaseWorker, full},
			{authz.Supervisor, full},
			{authz.SafetyOfficer, full},
			{authz.CommunityLiaison, []string{"community", "relation", "stance"}},
			{authz.LegalOfficer, nil}, {authz.CommsOfficer, nil}, {authz.Evaluator, nil}, {authz.Auditor, nil}, {authz.Admin, nil},
		}
		for _, v := range views {
			r := s.do("GET", base+"/relatives", "", "a/"+string(v.role))
			if strings.Contains(r.body, "CANARY") {
				t.Errorf("%s: relatives list holds a sealed value: %s", v.role, r.body)
			}
			if v.keys == nil {
				if r.status != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", v.role, r.status)
				}
				continue
			}
			var body struct {
				Relatives []map[string]any `json:"relatives"`
				Stances   map[string]int   `json:"stances"`
			}
			if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &body) != nil || len(body.Relatives) != 1 {
				t.Fatalf("%s: %d %s", v.role, r.status, r.body)
			}
			if got := keysOf(body.Relatives[0]); !slices.Equal(got, v.keys) {
				t.Errorf("%s: relative keys %v, want %v", v.role, got, v.keys)
			}
			if body.Stances["hostile"] != 1 {
				t.Errorf("%s: stances %v", v.role, body.Stances)
			}
			// Only full readers reach one relative, mentors and milestones.
			for _, p := range []string{"/relatives/" + relID, "/mentors", "/milestones"} {
				r := s.do("GET", base+p, "", "a/"+string(v.role))
				want := http.StatusOK
				if v.role == authz.CommunityLiaison {
					want = http.StatusForbidden
				}
				if r.status != want {
					t.Errorf("%s GET %s: %d, want %d", v.role, p, r.status, want)
				}
				if strings.Contains(r.body, canaryName) || strings.Contains(r.body, "Contact") {
					t.Errorf("%s GET %s shows a sealed field", v.role, p)
				}
			}
		}
		// Only writers write; the liaison and the safety officer cannot.
		for _, role := range []authz.Role{authz.CommunityLiaison, authz.SafetyOfficer} {
			if r := s.do("POST", base+"/relatives/"+relID, `{"stance":"neutral"}`, "a/"+string(role)); r.status != http.StatusForbidden {
				t.Errorf("%s updated a relative: %d", role, r.status)
			}
		}
		// The safety officer may reveal (step-up: tokens count as fresh); the liaison may not.
		if r := s.do("POST", base+"/relatives/"+relID+"/reveal-contact", `{"reason":"threat assessment for the forum"}`, "a/community_liaison"); r.status != http.StatusForbidden {
			t.Errorf("liaison revealed: %d", r.status)
		}
		r = s.do("POST", base+"/relatives/"+relID+"/reveal-contact", `{"reason":"threat assessment for the forum"}`, "a/safety_officer")
		var d family.Details
		if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &d) != nil || d.Name != canaryName || d.Contact != canaryContact {
			t.Fatalf("reveal: %d %s", r.status, r.body)
		}
		// Unknown fields are refused (no mass assignment).
		if r := s.do("POST", base+"/relatives/"+relID, `{"stance":"neutral","tenant_id":"tenant-b"}`, "a/case_worker"); r.status != http.StatusBadRequest {
			t.Errorf("unknown field: %d %s", r.status, r.body)
		}
	})
}

func TestAPIFlowAndIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		base := "/api/v1/returnees/" + s.ca.ID + "/family"
		other := "/api/v1/returnees/" + s.cb.ID + "/family"
		cw := "a/case_worker"

		// Invalid input: 400 naming the field.
		r := s.do("POST", base+"/relatives", `{"relation":"neighbour","stance":"hostile","name":"x"}`, cw)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `"field":"relation"`) {
			t.Fatalf("invalid relation: %d %s", r.status, r.body)
		}
		r = s.do("POST", base+"/relatives", `{"relation":"parent","stance":"supportive","name":"Um X","contact":"+1 555"}`, cw)
		var rel family.RelativeJSON
		if r.status != http.StatusCreated || json.Unmarshal([]byte(r.body), &rel) != nil {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		// Update: left-out fields keep their values; "" clears an optional sealed one.
		r = s.do("POST", base+"/relatives/"+rel.ID, `{"version":1,"stance":"hostile","contact":""}`, cw)
		if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &rel) != nil || rel.Version != 2 || rel.Stance != "hostile" || slices.Contains(rel.Sealed, "contact") {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		if r := s.do("POST", base+"/relatives/"+rel.ID, `{"version":1,"stance":"neutral"}`, cw); r.status != http.StatusConflict {
			t.Fatalf("stale update: %d %s", r.status, r.body)
		}
		r = s.do("GET", base+"/relatives/"+rel.ID, "", cw)
		if r.status != http.StatusOK || !strings.Contains(r.body, `"history"`) || !strings.Contains(r.body, `"changed":["stance","contact"]`) {
			t.Fatalf("get with history: %d %s", r.status, r.body)
		}

		// Mentor: assign a staff member, then an external mentor replacing them.
		r = s.do("POST", base+"/mentors", `{"user_id":"user-a-supervisor","from":"2026-06-01","reason":"leads the case"}`, cw)
		if r.status != http.StatusCreated {
			t.Fatalf("assign: %d %s", r.status, r.body)
		}
		r = s.do("POST", base+"/mentors", `{"external_name":"CANARY-MENTOR","organisation":"Mosque Association","reason":"trusted locally"}`, cw)
		var m family.MentorJSON
		if r.status != http.StatusCreated || json.Unmarshal([]byte(r.body), &m) != nil || m.Kind != "external" || !m.Current {
			t.Fatalf("assign external: %d %s", r.status, r.body)
		}
		r = s.do("GET", base+"/mentors", "", "a/safety_officer")
		if r.status != http.StatusOK || strings.Contains(r.body, "CANARY-MENTOR") || !strings.Contains(r.body, `"current":{"id":"`+m.ID) || !strings.Contains(r.body, "trusted locally") {
			t.Fatalf("mentors: %d %s", r.status, r.body)
		}
		r = s.do("POST", base+"/mentors/"+m.ID+"/reveal-name", `{"reason":"arranging the first meeting"}`, cw)
		if r.status != http.StatusOK || !strings.Contains(r.body, "CANARY-MENTOR") {
			t.Fatalf("reveal name: %d %s", r.status, r.body)
		}
		if r := s.do("POST", base+"/mentors/"+m.ID+"/end", `{"reason":"moved away"}`, cw); r.status != http.StatusOK {
			t.Fatalf("end: %d %s", r.status, r.body)
		}

		// Milestones: overdue is computed.
		r = s.do("POST", base+"/milestones", `{"kind":"work","target_on":"2026-01-01"}`, cw)
		var ms family.MilestoneJSON
		if r.status != http.StatusCreated || json.Unmarshal([]byte(r.body), &ms) != nil || !ms.Overdue || ms.Status != "planned" {
			t.Fatalf("milestone: %d %s", r.status, r.body)
		}
		r = s.do("POST", base+"/milestones/"+ms.ID, `{"status":"achieved","achieved_on":"2026-02-01"}`, cw)
		if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &ms) != nil || ms.Overdue || ms.AchievedOn != "2026-02-01" {
			t.Fatalf("achieve: %d %s", r.status, r.body)
		}

		// Remove with a reason.
		if r := s.do("POST", base+"/relatives/"+rel.ID+"/remove", `{"reason":"short"}`, cw); r.status != http.StatusBadRequest {
			t.Fatalf("remove with a short reason: %d", r.status)
		}
		if r := s.do("POST", base+"/relatives/"+rel.ID+"/remove", `{"reason":"not a relative after all"}`, cw); r.status != http.StatusOK {
			t.Fatalf("remove: %d %s", r.status, r.body)
		}

		// Tenant B: A's case and A's records are not found, whatever the route.
		for _, c := range []struct{ method, path, body string }{
			{"GET", base + "/relatives", ""},
			{"POST", base + "/relatives", `{"relation":"parent","stance":"neutral","name":"x"}`},
			{"GET", other + "/relatives/" + rel.ID, ""},
			{"POST", other + "/relatives/" + rel.ID, `{"stance":"neutral"}`},
			{"POST", other + "/relatives/" + rel.ID + "/reveal-contact", `{"reason":"a reason long enough"}`},
			{"POST", other + "/mentors/" + m.ID + "/reveal-name", `{"reason":"a reason long enough"}`},
			{"POST", other + "/mentors/" + m.ID + "/end", `{}`},
			{"POST", other + "/milestones/" + ms.ID, `{"status":"missed"}`},
			{"POST", base + "/milestones", `{}`},
		} {
			r := s.do(c.method, c.path, c.body, "b/case_worker")
			if r.status != http.StatusNotFound {
				t.Errorf("tenant B %s %s: %d, want 404", c.method, c.path, r.status)
			}
			if strings.Contains(r.body, "CANARY") || strings.Contains(r.body, "Mosque") {
				t.Errorf("tenant B %s %s: leaked %s", c.method, c.path, r.body)
			}
		}
	})
}

func TestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		page := "/returnees/" + s.ca.ID + "/family"
		cw := "a/case_worker"

		// Empty states say what to do next.
		for _, lang := range []string{"en", "ar"} {
			r := s.do("GET", page+"?lang="+lang, "", cw)
			if r.status != http.StatusOK || !s.shows(r.body, lang, "family.relatives_empty_text") || !strings.Contains(r.body, page+"/relatives/new") ||
				!strings.Contains(r.body, page+"/mentors/new") || !strings.Contains(r.body, page+"/milestones/new") {
				t.Fatalf("empty page %s: %d %s", lang, r.status, r.body)
			}
		}

		// Add a relative through the form; a bad one comes back with the message.
		r := s.do("POST", page+"/relatives", formBody("relation", "cousin", "stance", "nope", "name", canaryName), cw)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "field-error") || !strings.Contains(r.body, `aria-invalid="true"`) {
			t.Fatalf("invalid form: %d", r.status)
		}
		r = s.do("POST", page+"/relatives", formBody("relation", "cousin", "stance", "hostile", "community", "Al Qaryah", "name", canaryName, "contact", canaryContact), cw)
		if r.status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		rels, _ := s.svc.Relatives(context.Background(), s.p["a"][authz.CaseWorker], s.ca)
		if len(rels) != 1 {
			t.Fatalf("relatives %+v", rels)
		}
		rel := rels[0]

		// The tab shows relation, stance and community; never the sealed fields.
		for _, cred := range []string{cw, "a/supervisor", "a/safety_officer", "a/community_liaison"} {
			r := s.do("GET", page, "", cred)
			if r.status != http.StatusOK || !strings.Contains(r.body, "Al Qaryah") || !strings.Contains(r.body, `badge danger`) || strings.Contains(r.body, "CANARY") {
				t.Fatalf("%s: %d", cred, r.status)
			}
			liaison := cred == "a/community_liaison"
			if got := strings.Contains(r.body, "reveal_relative="); got == liaison {
				t.Errorf("%s: reveal link shown = %v", cred, got)
			}
			if got := strings.Contains(r.body, `id="mentor"`); got == liaison {
				t.Errorf("%s: mentor panel shown = %v", cred, got)
			}
		}
		for _, cred := range []string{"a/legal_officer", "a/comms_officer", "a/evaluator", "a/auditor", "a/admin"} {
			if r := s.do("GET", page, "", cred); r.status != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", cred, r.status)
			}
		}

		// Reveal: the reason form, then the details shown to the revealer only.
		r = s.do("GET", page+"?reveal_relative="+rel.ID, "", cw)
		if r.status != http.StatusOK || !strings.Contains(r.body, page+"/relatives/"+rel.ID+"/reveal-contact") {
			t.Fatalf("reveal form: %d", r.status)
		}
		r = s.do("POST", page+"/relatives/"+rel.ID+"/reveal-contact", formBody("reason", "short"), cw)
		if r.status != http.StatusUnprocessableEntity || strings.Contains(r.body, "CANARY") {
			t.Fatalf("short reason: %d", r.status)
		}
		r = s.do("POST", page+"/relatives/"+rel.ID+"/reveal-contact", formBody("reason", "preparing the safety plan"), cw)
		if r.status != http.StatusOK || !strings.Contains(r.body, canaryName) || !strings.Contains(r.body, "identity-panel") {
			t.Fatalf("reveal: %d", r.status)
		}
		// Without a fresh sign-in the reveal is refused, and the page offers step-up.
		if r := s.do("POST", page+"/relatives/"+rel.ID+"/reveal-contact", formBody("reason", "preparing the safety plan"), "stale/"+cw); r.status != http.StatusForbidden || strings.Contains(r.body, "CANARY") {
			t.Fatalf("stale reveal: %d", r.status)
		}
		if r := s.do("GET", page+"?reveal_relative="+rel.ID, "", "stale/"+cw); !strings.Contains(r.body, "/login/step-up?next=") {
			t.Fatal("no step-up link for a stale session")
		}

		// Edit: the form never shows the sealed values; the history does not either.
		r = s.do("GET", page+"/relatives/"+rel.ID, "", cw)
		if r.status != http.StatusOK || strings.Contains(r.body, "CANARY") || !strings.Contains(r.body, `name="version" value="1"`) {
			t.Fatalf("edit form: %d", r.status)
		}
		r = s.do("POST", page+"/relatives/"+rel.ID, formBody("version", "1", "relation", "cousin", "stance", "neutral", "community", "Al Qaryah", "recorded_on", "", "name", "", "clear_contact", "1"), cw)
		if r.status != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", r.status, r.body)
		}
		rel, _ = s.svc.Relative(context.Background(), s.p["a"][authz.CaseWorker], s.ca, rel.ID)
		if rel.Version != 2 || rel.Stance != family.Neutral || !slices.Equal(rel.Sealed, []string{"name"}) {
			t.Fatalf("after edit %+v", rel)
		}
		// A stale form is caught and shown.
		r = s.do("POST", page+"/relatives/"+rel.ID, formBody("version", "1", "relation", "cousin", "stance", "hostile"), cw)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "flash error") {
			t.Fatalf("stale edit: %d", r.status)
		}

		// Mentor and milestones through their forms.
		for _, p := range []string{"/mentors/new", "/milestones/new", "/relatives/new"} {
			for _, lang := range []string{"en", "ar"} {
				if r := s.do("GET", page+p+"?lang="+lang, "", cw); r.status != http.StatusOK {
					t.Fatalf("GET %s: %d", p, r.status)
				}
			}
		}
		if r := s.do("POST", page+"/mentors", formBody("mentor_user_id", "user-a-auditor", "reason", "x"), cw); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("auditor as mentor: %d", r.status)
		}
		if r := s.do("POST", page+"/mentors", formBody("mentor_user_id", "user-a-supervisor", "reason", "leads the case"), cw); r.status != http.StatusSeeOther {
			t.Fatalf("assign: %d %s", r.status, r.body)
		}
		if r := s.do("POST", page+"/milestones", formBody("kind", "housing", "target_on", "2026-01-01", "status", "planned", "note", "CANARY-FLAT"), cw); r.status != http.StatusSeeOther {
			t.Fatalf("milestone: %d %s", r.status, r.body)
		}
		r = s.do("GET", page+"?lang=ar", "", cw)
		if r.status != http.StatusOK || !s.shows(r.body, "ar", "family.overdue") || !strings.Contains(r.body, "CANARY-FLAT") || !strings.Contains(r.body, "supervisor") {
			t.Fatalf("page with mentor and milestone: %d", r.status)
		}
		// The liaison sees none of it.
		if r := s.do("GET", page, "", "a/community_liaison"); strings.Contains(r.body, "CANARY-FLAT") || strings.Contains(r.body, "supervisor") {
			t.Fatal("the liaison sees milestones or mentors")
		}
		ms, _ := s.svc.Milestones(context.Background(), s.p["a"][authz.CaseWorker], s.ca)
		r = s.do("GET", page+"/milestones/"+ms[0].ID, "", cw)
		if r.status != http.StatusOK || !strings.Contains(r.body, "CANARY-FLAT") {
			t.Fatalf("milestone edit form: %d", r.status)
		}
		r = s.do("POST", page+"/milestones/"+ms[0].ID, formBody("version", "1", "kind", "housing", "target_on", "2026-01-01", "status", "achieved", "achieved_on", "", "note", "CANARY-FLAT"), cw)
		if r.status != http.StatusSeeOther {
			t.Fatalf("milestone edit: %d %s", r.status, r.body)
		}
		mentors, _ := s.svc.Mentors(context.Background(), s.p["a"][authz.CaseWorker], s.ca)
		if r := s.do("POST", page+"/mentors/"+mentors[0].ID+"/end", formBody("ended_on", "2020-01-01"), cw); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("end before start: %d", r.status)
		}
		if r := s.do("POST", page+"/mentors/"+mentors[0].ID+"/end", formBody("end_reason", "done"), cw); r.status != http.StatusSeeOther {
			t.Fatalf("end: %d %s", r.status, r.body)
		}

		// Remove through the edit page.
		if r := s.do("POST", page+"/relatives/"+rel.ID+"/remove", formBody("remove_reason", "short"), cw); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="remove_reason-error"`) {
			t.Fatalf("short removal reason: %d", r.status)
		}
		if r := s.do("POST", page+"/relatives/"+rel.ID+"/remove", formBody("remove_reason", "recorded by mistake"), cw); r.status != http.StatusSeeOther {
			t.Fatalf("remove: %d", r.status)
		}

		// Tenant B's pages of A's case: not found.
		for _, p := range []string{"", "/relatives/new", "/relatives/" + rel.ID, "/milestones/new", "/mentors/new"} {
			if r := s.do("GET", page+p, "", "b/case_worker"); r.status != http.StatusNotFound {
				t.Errorf("tenant B GET %s: %d", p, r.status)
			}
		}
		s.checkMissingKeys()
	})
}
