package consent_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/web"
	"inoculate/internal/platform/web/static"
	"inoculate/internal/returnees/consent"
)

// fakeAuth resolves a session cookie or bearer token "A/case_worker" to that principal.
type fakeAuth struct{ p map[string]*authz.Principal }

func (a fakeAuth) Authenticate(_ context.Context, token string) (*authz.Principal, error) {
	if p, ok := a.p[token]; ok {
		return p, nil
	}
	return nil, errs.E(errs.Unauthorized, "no session")
}

func (a fakeAuth) AuthenticateToken(ctx context.Context, token string) (*authz.Principal, error) {
	return a.Authenticate(ctx, token)
}

type site struct {
	*env
	h      http.Handler
	bundle *i18n.Bundle
}

func newSite(t *testing.T, db *store.DB) *site {
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
	s := web.NewSite(tpl, bundle, assets, fakeAuth{p: e.p}, e.log)
	s.Now = e.clock.now
	if err := consent.Register(s, e.svc, e.cases); err != nil {
		t.Fatal(err)
	}
	return &site{env: e, h: s.Handler(), bundle: bundle}
}

// do sends a request as who ("A/case_worker"): a browser request with a session
// cookie, or an API request with a bearer token when the path starts with /api/.
func (s *site) do(who, method, path, lang string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	s.t.Helper()
	r := httptest.NewRequest(method, path, body)
	if strings.HasPrefix(path, "/api/") {
		r.Header.Set("Authorization", "Bearer "+who)
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
	} else {
		r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: who})
		if body != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("status %d, body %q: %v", w.Code, w.Body.String(), err)
	}
	return m
}

const contractBody = `{"uses": ["public_forum", "recorded_testimony"], "identity_level": "alias_protected",
	"audiences": ["national", "named_communities"], "communities": ["Tower Hamlets"], "languages": ["ar", "en"],
	"expires": "2026-12-31", "in_custody": false, "advisor_present": true}`

func TestAPIContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		base := "/api/v1/returnees/" + s.person
		w := s.do("A/case_worker", "POST", base+"/consents", "", strings.NewReader(contractBody))
		if w.Code != http.StatusCreated {
			t.Fatalf("give: %d %s", w.Code, w.Body)
		}
		got := decode(t, w)
		if got["version"] != float64(1) || got["status"] != "active" || got["identity_level"] != "alias_protected" ||
			got["free_consent_concern"] != false || got["statement_acknowledged"] != true || got["expired"] != false {
			t.Fatalf("give answered %v", got)
		}
		allows := func(who, query string) map[string]any {
			t.Helper()
			w := s.do(who, "GET", base+"/consent/allows?"+query, "", nil)
			if w.Code != http.StatusOK {
				t.Fatalf("allows?%s: %d %s", query, w.Code, w.Body)
			}
			return decode(t, w)
		}
		yes := "use=public_forum&identity_level=text_only&audience=own_community&language=ar"
		if a := allows("A/comms_officer", yes); a["allowed"] != true || a["reason"] != consent.ReasonAllowed || a["version"] != float64(1) {
			t.Fatalf("allows: %v", a)
		}
		if a := allows("A/legal_officer", "use=media_interview&identity_level=text_only&audience=national&language=ar"); a["allowed"] != false || a["reason"] != consent.ReasonUse {
			t.Fatalf("unconsented use: %v", a)
		}
		if a := allows("A/safety_officer", "use=public_forum&identity_level=text_only&audience=named_communities&community=tower%20hamlets&language=en-gb"); a["allowed"] != true {
			t.Fatalf("named community: %v", a)
		}
		if a := allows("A/community_liaison", yes+"&at=2026-03-01"); a["allowed"] != false || a["reason"] != consent.ReasonNoConsent {
			t.Fatalf("before it was given: %v", a)
		}
		// Unknown enumeration values are a 400 naming the parameter.
		w = s.do("A/case_worker", "GET", base+"/consent/allows?use=billboard&identity_level=full&audience=national&language=ar", "", nil)
		if w.Code != http.StatusBadRequest || decode(t, w)["field"] != "use" {
			t.Fatalf("unknown use: %d %s", w.Code, w.Body)
		}
		// The body is checked: safeguard answers required, statement if sent must be
		// true, unknown fields refused.
		for field, body := range map[string]string{
			"in_custody":      strings.Replace(contractBody, `"in_custody": false,`, ``, 1),
			"advisor_present": strings.Replace(contractBody, `, "advisor_present": true`, ``, 1),
			"statement":       strings.Replace(contractBody, `"advisor_present": true`, `"advisor_present": true, "statement_acknowledged": false`, 1),
			"taken_by":        strings.Replace(contractBody, `"advisor_present": true`, `"advisor_present": true, "taken_by": "someone"`, 1),
			"identity_level":  strings.Replace(contractBody, `alias_protected`, `blurred`, 1),
		} {
			w := s.do("A/case_worker", "POST", base+"/consents", "", strings.NewReader(body))
			if w.Code != http.StatusBadRequest || decode(t, w)["field"] != field {
				t.Errorf("bad body (%s): %d %s", field, w.Code, w.Body)
			}
		}
		// Roles: the legal officer reads but never takes consent.
		if w := s.do("A/legal_officer", "POST", base+"/consents", "", strings.NewReader(contractBody)); w.Code != http.StatusForbidden {
			t.Fatalf("legal officer gave consent: %d", w.Code)
		}
		if w := s.do("A/evaluator", "GET", base+"/consent/allows?"+yes, "", nil); w.Code != http.StatusForbidden {
			t.Fatalf("evaluator asked: %d", w.Code)
		}
		// Another tenant's returnee is not found.
		if w := s.do("B/case_worker", "GET", base+"/consent", "", nil); w.Code != http.StatusNotFound {
			t.Fatalf("tenant B read A's consent: %d", w.Code)
		}
		// Withdraw: 201 with the new version, effective at once.
		w = s.do("A/supervisor", "POST", base+"/consents/withdraw", "", strings.NewReader(`{"reason": "changed his mind"}`))
		if w.Code != http.StatusCreated {
			t.Fatalf("withdraw: %d %s", w.Code, w.Body)
		}
		if got := decode(t, w); got["version"] != float64(2) || got["status"] != "withdrawn" {
			t.Fatalf("withdraw answered %v", got)
		}
		if a := allows("A/comms_officer", yes); a["allowed"] != false || a["reason"] != consent.ReasonWithdrawn {
			t.Fatalf("after withdrawal: %v", a)
		}
		if w := s.do("A/supervisor", "POST", base+"/consents/withdraw", "", strings.NewReader(`{}`)); w.Code != http.StatusConflict {
			t.Fatalf("second withdrawal: %d %s", w.Code, w.Body)
		}
		// Current and history.
		cur := decode(t, s.do("A/legal_officer", "GET", base+"/consent", "", nil))
		if c, _ := cur["current"].(map[string]any); c == nil || c["version"] != float64(2) || c["status"] != "withdrawn" {
			t.Fatalf("current %v", cur)
		}
		hist := decode(t, s.do("A/comms_officer", "GET", base+"/consents", "", nil))
		if vs, _ := hist["versions"].([]any); len(vs) != 2 {
			t.Fatalf("history %v", hist)
		}
	})
}

// form is a complete new-version form.
func form() url.Values {
	return url.Values{"uses": {"public_forum", "media_interview"}, "identity_level": {"audio_revoiced"},
		"audiences": {"own_community"}, "languages": {"ar، ckb"}, "expires": {"2026-09-30"},
		"in_custody": {"yes"}, "advisor_present": {"no"}, "statement": {"yes"}}
}

func TestPagesAndForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		page := "/returnees/" + s.person + "/consent"
		for _, lang := range []string{"en", "ar"} {
			w := s.do("A/case_worker", "GET", page, lang, nil)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `class="empty-state"`) || !strings.Contains(w.Body.String(), `action="/returnees/`+s.person+`/consents"`) {
				t.Fatalf("%s empty page: %d", lang, w.Code)
			}
		}
		// The statement checkbox is required: without it nothing is recorded.
		f := form()
		f.Del("statement")
		w := s.do("A/case_worker", "POST", "/returnees/"+s.person+"/consents", "en", strings.NewReader(f.Encode()))
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="statement-error"`) {
			t.Fatalf("without the statement: %d", w.Code)
		}
		if n := s.count("consent_versions"); n != 0 {
			t.Fatalf("%d versions recorded without the statement", n)
		}
		// An empty form shows every problem at once.
		w = s.do("A/case_worker", "POST", "/returnees/"+s.person+"/consents", "en", strings.NewReader(""))
		body := w.Body.String()
		if w.Code != http.StatusUnprocessableEntity || strings.Count(body, `class="field-error"`) != 8 {
			t.Fatalf("empty form: %d, %d errors", w.Code, strings.Count(body, `class="field-error"`))
		}
		// A complete form: recorded, flagged (in custody, no advisor), shown in plain words.
		w = s.do("A/case_worker", "POST", "/returnees/"+s.person+"/consents", "en", strings.NewReader(form().Encode()))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != page+"?flash=flash.consent_recorded_concern" {
			t.Fatalf("give: %d %q", w.Code, w.Header().Get("Location"))
		}
		cur, ok, err := s.svc.Current(context.Background(), "tenant-a", s.person)
		if err != nil || !ok || !cur.FreeConsentConcern || !cur.StatementAcknowledged || !slices.Equal(cur.Languages, []string{"ar", "ckb"}) {
			t.Fatalf("recorded %+v, %v", cur, err)
		}
		for _, lang := range []string{"en", "ar"} {
			w := s.do("A/case_worker", "GET", page, lang, nil)
			body := w.Body.String()
			if w.Code != http.StatusOK || !strings.Contains(body, `id="free-consent-concern"`) || !strings.Contains(body, `data-status="active"`) ||
				!strings.Contains(body, `action="/returnees/`+s.person+`/consents/withdraw"`) {
				t.Fatalf("%s page after consent: %d", lang, w.Code)
			}
			if lang == "ar" && !strings.Contains(body, `dir="rtl"`) {
				t.Fatal("Arabic page is not right to left")
			}
		}
		// The legal officer reads, but gets no forms.
		w = s.do("A/legal_officer", "GET", page, "en", nil)
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `/consents"`) || strings.Contains(w.Body.String(), `/consents/withdraw"`) {
			t.Fatalf("legal officer's page: %d", w.Code)
		}
		if w := s.do("A/legal_officer", "POST", "/returnees/"+s.person+"/consents", "en", strings.NewReader(form().Encode())); w.Code != http.StatusForbidden {
			t.Fatalf("legal officer posted consent: %d", w.Code)
		}
		// A supervisor who is a legal officer on the agreement is refused, with the reason.
		s.officer = []string{s.p["A/supervisor"].UserID}
		f = form()
		f.Set("advisor_present", "yes")
		w = s.do("A/supervisor", "POST", "/returnees/"+s.person+"/consents", "en", strings.NewReader(f.Encode()))
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `id="give-error"`) {
			t.Fatalf("officer on the agreement: %d", w.Code)
		}
		// Ask the question: htmx gets only the answer.
		q := "use=public_forum&identity_level=text_only&audience=own_community&language=ar"
		w = s.do("A/comms_officer", "GET", "/returnees/"+s.person+"/consent/allows?"+q, "en", nil, "HX-Request", "true")
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `data-answer="yes"`) || strings.Contains(w.Body.String(), "<html") {
			t.Fatalf("ask (htmx): %d %s", w.Code, w.Body)
		}
		w = s.do("A/comms_officer", "GET", "/returnees/"+s.person+"/consent/allows?use=public_forum&identity_level=full&audience=national&language=ar", "ar", nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `data-answer="no"`) || !strings.Contains(w.Body.String(), "<html") {
			t.Fatalf("ask (page): %d", w.Code)
		}
		w = s.do("A/comms_officer", "GET", "/returnees/"+s.person+"/consent/allows?use=public_forum", "en", nil, "HX-Request", "true")
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `data-answer="invalid"`) {
			t.Fatalf("incomplete question: %d %s", w.Code, w.Body)
		}
		// Withdraw from the page: at once, then the page says so.
		w = s.do("A/case_worker", "POST", "/returnees/"+s.person+"/consents/withdraw", "en", strings.NewReader("reason="))
		if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "flash=flash.consent_withdrawn") {
			t.Fatalf("withdraw: %d", w.Code)
		}
		w = s.do("A/case_worker", "GET", page, "en", nil)
		if !strings.Contains(w.Body.String(), `data-status="withdrawn"`) || strings.Contains(w.Body.String(), `/consents/withdraw"`) {
			t.Fatal("the page does not show the withdrawal")
		}
		if w := s.do("A/case_worker", "POST", "/returnees/"+s.person+"/consents/withdraw", "en", strings.NewReader("")); w.Code != http.StatusConflict {
			t.Fatalf("second withdrawal from the page: %d", w.Code)
		}
		// Another caseload's page is not found; roles without access are refused.
		if w := s.do("A/other_case_worker", "GET", page, "en", nil); w.Code != http.StatusNotFound {
			t.Fatalf("outside the caseload: %d", w.Code)
		}
		if w := s.do("A/evaluator", "GET", page, "en", nil); w.Code != http.StatusForbidden {
			t.Fatalf("evaluator: %d", w.Code)
		}
		// After erasure the page still shows the history, offers no new consent, and a
		// posted one is refused with the reason.
		if err := s.cases.Erase(context.Background(), s.p["A/supervisor"], "", s.person); err != nil {
			t.Fatal(err)
		}
		w = s.do("A/case_worker", "GET", page, "ar", nil)
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `id="give"`) || !strings.Contains(w.Body.String(), `data-status="withdrawn"`) {
			t.Fatalf("erased case page: %d", w.Code)
		}
		w = s.do("A/case_worker", "POST", "/returnees/"+s.person+"/consents", "en", strings.NewReader(form().Encode()))
		if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), `id="give-error"`) {
			t.Fatalf("consent for an erased person: %d", w.Code)
		}
		// Every text the pages looked up is in this package's catalogue files.
		mine := catalogue(t, "i18n.en.json")
		for _, m := range s.bundle.MissingKeys() {
			_, key, _ := strings.Cut(m, ":")
			if _, ok := mine[key]; !ok {
				t.Errorf("key %s is in no catalogue", key)
			}
		}
	})
}

func catalogue(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}
