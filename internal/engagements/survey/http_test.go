package survey_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"inoculate/internal/engagements/survey"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/web"
	"inoculate/internal/platform/web/static"
)

// The permissions the wiring passes in; the tests' choice.
var (
	permPrint   = authz.Allow("engagements.survey_print", authz.CommunityLiaison, authz.Supervisor)
	permResults = authz.Allow("engagements.survey_results", authz.CommunityLiaison, authz.Supervisor, authz.Evaluator)
)

// fakeAuth resolves "<tenant>/<role>" credentials to the env's principals.
type fakeAuth struct{ e *env }

func (f fakeAuth) principal(tok, via string) (*authz.Principal, error) {
	ten, role, _ := strings.Cut(tok, "/")
	p, ok := f.e.p[ten][authz.Role(role)]
	if !ok {
		return nil, errs.E(errs.Unauthorized, "unknown test credential")
	}
	cp := *p
	cp.Via, cp.AuthAt = via, time.Now()
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
}

func newSite(t *testing.T, db *store.DB, deps survey.Deps) *site {
	t.Helper()
	e := setup(t, db)
	deps.Engagements = engagements{db}
	return newSiteDeps(t, e, deps)
}

// newSiteWith is a second site over e's database with another Engagements.
func newSiteWith(t *testing.T, e *env, g survey.Engagements) *site {
	t.Helper()
	return newSiteDeps(t, e, survey.Deps{Engagements: g})
}

func newSiteDeps(t *testing.T, e *env, deps survey.Deps) *site {
	t.Helper()
	bundle, err := i18n.Load(i18n.Fragment{Name: "survey", FS: survey.Messages})
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
	deps.PermPrint, deps.PermResults = permPrint, permResults
	deps.PermEngagement = authz.Allow("engagements.read", authz.CommunityLiaison, authz.Supervisor)
	if deps.BaseURL == nil {
		deps.BaseURL = func(*http.Request) string { return "https://inoculate.example/" }
	}
	if err := survey.Register(ws, e.svc, deps); err != nil {
		t.Fatal(err)
	}
	s := &site{env: e, t: t, srv: httptest.NewServer(ws.Handler()), bundle: bundle}
	t.Cleanup(s.srv.Close)
	return s
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type resp struct {
	status int
	header http.Header
	body   string
}

// do sends a request as a phone would: no cookie at all unless cred is given.
func (s *site) do(method, path, body, cred string, hdr ...string) resp {
	s.t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if strings.HasPrefix(path, "/api/") && cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	} else if cred != "" {
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: cred})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
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

// public checks what every public survey answer must be: no cookie, no script, not
// cached, our own page in the expected language and direction.
func public(t *testing.T, r resp, status int, lang string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	if c := r.header.Values("Set-Cookie"); len(c) > 0 {
		t.Fatalf("a public page sets cookies: %q", c)
	}
	if strings.Contains(r.body, "<script") {
		t.Fatal("a public page has script")
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatal("a public page may be cached")
	}
	dir := map[string]string{"en": "ltr", "ar": "rtl"}[lang]
	if !strings.Contains(r.body, `<html lang="`+lang+`" dir="`+dir+`">`) {
		t.Fatalf("page not in %s/%s:\n%.300s", lang, dir, r.body)
	}
	if strings.Contains(r.body, "lang=") && regexp.MustCompile(`href="[^"]*[?&]lang=`).MatchString(r.body) {
		t.Fatal("a public page links to the cookie-setting ?lang=")
	}
}

func TestPublicSurvey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, survey.Deps{})
		link := s.link(t, "a", "forum")
		path := link.Path()

		// The form: before the forum starts, "before" is chosen; every item can be
		// skipped and is skipped until answered; no personal question, no free text.
		r := s.do("GET", path, "", "")
		public(t, r, 200, "en")
		for _, want := range []string{
			`action="/s/` + link.Code + `?hl=en"`, `name="phase" value="before" checked`, `name="phase" value="after" required`,
			`name="better_life" value="skip" checked`, `name="better_life" value="5"`, "Prefer not to say",
			"Joining an armed group abroad leads to a better life.",
		} {
			if !strings.Contains(r.body, want) {
				t.Fatalf("form lacks %q:\n%s", want, r.body)
			}
		}
		for _, never := range []string{"<textarea", `type="text"`, `type="email"`, "Youth forum", "Tal Afar", link.EngagementID} {
			if strings.Contains(r.body, never) {
				t.Fatalf("public form shows %q", never)
			}
		}
		// A typed code in lower case works too.
		public(t, s.do("GET", strings.ToLower(path), "", ""), 200, "en")

		// Arabic, right to left, by ?hl= (which sets no cookie), and by the
		// engagement's own language when no ?hl= is given.
		r = s.do("GET", path+"?hl=ar", "", "")
		public(t, r, 200, "ar")
		if !strings.Contains(r.body, "هل تجيب قبل اللقاء أم بعده؟") || !strings.Contains(r.body, `action="/s/`+link.Code+`?hl=ar"`) {
			t.Fatalf("no Arabic form:\n%s", r.body)
		}
		arabic := s.link(t, "a", "arabic")
		public(t, s.do("GET", arabic.Path(), "", "", "Accept-Language", "en"), 200, "ar")
		public(t, s.do("GET", arabic.Path()+"?hl=en", "", ""), 200, "en")

		// Out of range, or nothing answered: refused, the form shown again with the
		// choices kept, nothing stored.
		for _, bad := range []string{
			form("phase", "after", "better_life", "6", "talk_trusted", "4"),
			form("phase", "after", "better_life", "0"),
			form("phase", "after", "better_life", "3", "better_life", "4"),
			form("phase", "after", "better_life", "skip"),
			form("phase", "later", "better_life", "3"),
		} {
			r = s.do("POST", path+"?hl=en", bad, "")
			public(t, r, http.StatusUnprocessableEntity, "en")
			if !strings.Contains(r.body, `class="flash error"`) || !strings.Contains(r.body, `<form class="form survey-form"`) {
				t.Fatalf("%s: no error on the re-shown form:\n%s", bad, r.body)
			}
		}
		r = s.do("POST", path+"?hl=ar", form("phase", "after", "better_life", "9", "talk_trusted", "4"), "")
		public(t, r, http.StatusUnprocessableEntity, "ar")
		if !strings.Contains(r.body, "يُرجى اختيار إحدى الإجابات المعروضة.") || !strings.Contains(r.body, `name="talk_trusted" value="4" checked`) ||
			!strings.Contains(r.body, `name="phase" value="after" checked`) {
			t.Fatalf("Arabic re-shown form:\n%s", r.body)
		}
		if n := s.count(t, "SELECT COUNT(*) FROM survey_responses"); n != 0 {
			t.Fatalf("%d refused responses stored", n)
		}

		// A good answer: 303 to the thank-you page in the same language.
		r = s.do("POST", path+"?hl=ar", form("phase", "after", "better_life", "2", "speaker_believable", "5", "talk_trusted", "skip", "name", "Abu Zzyzx"), "")
		if r.status != http.StatusSeeOther || r.header.Get("Location") != path+"/thanks?hl=ar" || len(r.header.Values("Set-Cookie")) > 0 {
			t.Fatalf("submit %d %v %s", r.status, r.header, r.body)
		}
		var answers, lang string
		if err := db.Reader().QueryRow(context.Background(), "SELECT answers, language FROM survey_responses").Scan(&answers, &lang); err != nil {
			t.Fatal(err)
		}
		if answers != `{"better_life":2,"speaker_believable":5}` || lang != "ar" {
			t.Fatalf("stored %s %s", answers, lang)
		}

		// Thanks, with the default help line, then the tenant's.
		r = s.do("GET", path+"/thanks?hl=ar", "", "")
		public(t, r, 200, "ar")
		if !strings.Contains(r.body, "يمكن لأحد المنظمين أن يصلك بشخص تثق به") {
			t.Fatalf("no default help line:\n%s", r.body)
		}
		s.setHelpLine(t, "a", "Call <Nour> on 0800 123 456")
		r = s.do("GET", path+"/thanks", "", "")
		public(t, r, 200, "en")
		if !strings.Contains(r.body, "If you want to talk to someone: <bdi>Call &lt;Nour&gt; on 0800 123 456</bdi>") {
			t.Fatalf("no help line:\n%s", r.body)
		}

		// Unknown and closed codes: the same page, the same 404, nothing revealed.
		unknown := s.do("GET", "/s/ZZZZZZZZ", "", "")
		public(t, unknown, http.StatusNotFound, "en")
		if !strings.Contains(unknown.body, "There is no survey open at this address.") {
			t.Fatalf("unknown code page:\n%s", unknown.body)
		}
		for _, p := range []string{"/s/not-a-code", "/s/ZZZZZZZZ/thanks", "/s/%3Cscript%3E"} {
			if r := s.do("GET", p, "", ""); r.body != unknown.body || r.status != http.StatusNotFound {
				t.Fatalf("%s differs from an unknown code", p)
			}
		}
		if r := s.do("POST", "/s/ZZZZZZZZ", form("phase", "after", "better_life", "2"), ""); r.body != unknown.body || r.status != http.StatusNotFound {
			t.Fatalf("POST to an unknown code: %d", r.status)
		}
		if err := s.svc.Close(context.Background(), s.p["a"][authz.Supervisor], "r", link.EngagementID); err != nil {
			t.Fatal(err)
		}
		for _, r := range []resp{
			s.do("GET", path, "", ""), s.do("GET", path+"/thanks", "", ""),
			s.do("POST", path, form("phase", "after", "better_life", "2"), ""),
		} {
			if r.status != http.StatusNotFound || r.body != unknown.body {
				t.Fatalf("closed survey answers %d:\n%s", r.status, r.body)
			}
		}
		// A cancelled engagement's survey is closed too.
		s.setStatus(t, arabic.EngagementID, "cancelled")
		if r := s.do("GET", arabic.Path()+"?hl=en", "", ""); r.status != http.StatusNotFound || r.body != unknown.body {
			t.Fatalf("cancelled engagement's survey %d", r.status)
		}

		// A cross-site POST is refused (no token cookie needed for that).
		r = s.do("POST", path, form("phase", "after", "better_life", "2"), "", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if r.status != http.StatusForbidden {
			t.Fatalf("cross-site POST %d", r.status)
		}
		if missing := s.bundle.MissingKeys(); len(missing) > 0 {
			t.Fatalf("missing keys %v", missing)
		}
	})
}

// Over the per-address limit, or the per-link cap: 429 with a friendly page.
func TestPublicLimits(t *testing.T) {
	db := storetest.SQLite(t)
	s := newSite(t, db, survey.Deps{AnswersPerMinute: 3, ViewsPerMinute: 4})
	path := s.link(t, "a", "forum").Path()
	answer := form("phase", "before", "joiners_regret", "4")
	for i := range 3 {
		if r := s.do("POST", path, answer, ""); r.status != http.StatusSeeOther {
			t.Fatalf("answer %d: %d", i+1, r.status)
		}
	}
	r := s.do("POST", path, answer, "")
	public(t, r, http.StatusTooManyRequests, "en")
	if !strings.Contains(r.body, "Please wait a few minutes") || r.header.Get("Retry-After") != "60" {
		t.Fatalf("busy page:\n%s", r.body)
	}
	// Page views have their own bucket; unknown codes spend it too (no free guessing).
	for i := range 4 {
		if r := s.do("GET", "/s/ZZZZZZZ"+string(survey.CodeAlphabet[i]), "", ""); r.status != http.StatusNotFound {
			t.Fatalf("view %d: %d", i+1, r.status)
		}
	}
	public(t, s.do("GET", path+"?hl=ar", "", ""), http.StatusTooManyRequests, "ar")
	if n := s.count(t, "SELECT COUNT(*) FROM survey_responses"); n != 3 {
		t.Fatalf("%d responses, want 3", n)
	}

	// The per-link cap, whatever the addresses.
	db2 := storetest.SQLite(t)
	s2 := newSite(t, db2, survey.Deps{AnswersPerMinute: 100})
	s2.svc.SetConfig(survey.Config{PerLinkPerHour: 2})
	path2 := s2.link(t, "a", "forum").Path()
	for range 2 {
		if r := s2.do("POST", path2, answer, ""); r.status != http.StatusSeeOther {
			t.Fatalf("answer: %d", r.status)
		}
	}
	public(t, s2.do("POST", path2+"?hl=ar", answer, ""), http.StatusTooManyRequests, "ar")
}

func TestSignedInPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, survey.Deps{})
		li, ev := "a/community_liaison", "a/evaluator"
		id := s.eng["a"]["forum"]
		base := "/engagements/" + id + "/survey"

		// No link yet: the page offers to create one; GET creates nothing.
		r := s.do("GET", base, "", li)
		if r.status != 200 || !strings.Contains(r.body, `action="`+base+`/link"`) || !strings.Contains(r.body, "No answers yet.") ||
			!strings.Contains(r.body, `href="/engagements/`+id+`"`) {
			t.Fatalf("results page %d\n%s", r.status, r.body)
		}
		if r := s.do("GET", base+"/print", "", li); r.status != http.StatusNotFound {
			t.Fatalf("poster without a link %d", r.status)
		}
		if n := s.count(t, "SELECT COUNT(*) FROM survey_links"); n != 0 {
			t.Fatal("a GET created a link")
		}
		if r := s.do("POST", base+"/link", "", li); r.status != http.StatusSeeOther || r.header.Get("Location") != base+"?flash=flash.survey.link_created" {
			t.Fatalf("create link %d %v", r.status, r.header)
		}
		link, ok, err := s.svc.FindLink(context.Background(), "tenant-a", id)
		if err != nil || !ok {
			t.Fatal("no link created")
		}

		// The poster: QR code, the short link in large type, title and local time.
		r = s.do("GET", base+"/print?lang=ar", "", li)
		if r.status != 200 || !strings.Contains(r.body, "inoculate.example/s/"+link.Code) || !strings.Contains(r.body, `src="`+base+`/qr.png"`) ||
			!strings.Contains(r.body, "Youth forum a forum") || !strings.Contains(r.body, "21:00") || !strings.Contains(r.body, `dir="rtl"`) {
			t.Fatalf("poster %d\n%s", r.status, r.body)
		}
		r = s.do("GET", base+"/qr.png", "", li)
		if r.status != 200 || r.header.Get("Content-Type") != "image/png" {
			t.Fatalf("QR %d %s", r.status, r.header.Get("Content-Type"))
		}
		if _, err := png.Decode(bytes.NewReader([]byte(r.body))); err != nil {
			t.Fatalf("QR is not a PNG: %v", err)
		}
		want, _ := survey.QRCode("https://inoculate.example/s/" + link.Code)
		if r.body != string(want) {
			t.Fatal("the QR code does not hold the full public URL")
		}

		// Results for the evaluator, with the suppression note; no actions.
		for range 5 {
			if err := s.svc.Submit(context.Background(), link.Code, survey.Submission{Phase: survey.Before, Language: "en", Answers: map[string]int{"better_life": 3}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.svc.Submit(context.Background(), link.Code, survey.Submission{Phase: survey.After, Language: "en", Answers: map[string]int{"better_life": 1}}); err != nil {
			t.Fatal(err)
		}
		r = s.do("GET", base, "", ev)
		if r.status != 200 || !strings.Contains(r.body, "fewer than 5") || strings.Contains(r.body, "/close") || strings.Contains(r.body, "/print") ||
			strings.Contains(r.body, `href="/engagements/`+id+`"`) {
			t.Fatalf("evaluator's results %d\n%s", r.status, r.body)
		}
		r = s.do("GET", "/api/v1"+base, "", ev)
		var res survey.Results
		if err := json.Unmarshal([]byte(r.body), &res); err != nil || res.Before.N != 5 || !res.After.Suppressed {
			t.Fatalf("API results %d %s", r.status, r.body)
		}

		// Closing.
		if r := s.do("POST", base+"/close", "", li); r.status != http.StatusSeeOther {
			t.Fatalf("close %d", r.status)
		}
		if r := s.do("GET", base, "", li); !strings.Contains(r.body, "Closed") || strings.Contains(r.body, `action="`+base+`/close"`) {
			t.Fatal("closed survey still offers closing")
		}

		// Roles, tenants and kinds.
		for _, tc := range []struct {
			method, path, cred string
			want               int
		}{
			{"GET", base, "a/comms_officer", http.StatusForbidden},
			{"GET", base + "/print", ev, http.StatusForbidden},
			{"GET", base + "/qr.png", ev, http.StatusForbidden},
			{"POST", base + "/close", ev, http.StatusForbidden},
			{"GET", base, "b/supervisor", http.StatusNotFound},
			{"GET", base + "/qr.png", "b/supervisor", http.StatusNotFound},
			{"POST", base + "/link", "b/supervisor", http.StatusNotFound},
			{"GET", "/api/v1" + base, "b/evaluator", http.StatusNotFound},
			{"POST", "/engagements/" + s.eng["a"]["interview"] + "/survey/link", li, http.StatusConflict},
			{"GET", base, "", http.StatusSeeOther},
		} {
			if r := s.do(tc.method, tc.path, "", tc.cred); r.status != tc.want {
				t.Errorf("%s %s as %q: %d, want %d", tc.method, tc.path, tc.cred, r.status, tc.want)
			}
		}
		if missing := s.bundle.MissingKeys(); len(missing) > 0 {
			t.Fatalf("missing keys %v", missing)
		}
	})
}

// failingEngagements fails as a database outage would.
type failingEngagements struct{ engagements }

func (failingEngagements) Forum(context.Context, string, string) (survey.Forum, error) {
	return survey.Forum{}, errors.New("connection refused")
}

// A fault of ours is a public 500 page: no cookie, no detail, no sign-in shell.
func TestPublicFault(t *testing.T) {
	db := storetest.SQLite(t)
	s := newSite(t, db, survey.Deps{})
	link := s.link(t, "a", "forum")
	s2 := newSiteWith(t, s.env, failingEngagements{engagements{db}})
	for _, m := range []string{"GET", "POST"} {
		r := s2.do(m, link.Path()+"?hl=ar", form("phase", "after", "better_life", "2"), "")
		public(t, r, http.StatusInternalServerError, "ar")
		if strings.Contains(r.body, "connection refused") || !strings.Contains(r.body, "حدث خطأ ما") {
			t.Fatalf("%s fault page:\n%s", m, r.body)
		}
	}
	if n := s.count(t, "SELECT COUNT(*) FROM survey_responses"); n != 0 {
		t.Fatal("an answer was stored despite the fault")
	}
}
