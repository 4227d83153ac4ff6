package app_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
)

// TestJourneyClearedToSpeak walks a returnee's case through the browser, as issue 3
// asks: intake → screening "no capital crime" → an agreement drafted, sent for
// review, signed by two different legal officers, its signed document uploaded and
// put in force → consent → the three assessments, each signed off by another person
// → "cleared to speak" turns green. Then the case worker withdraws consent: the
// overview says so at once, and the agreement stays active (a withdrawal is never a
// breach). Screenshots of each stage, in English and Arabic, desktop and phone.
func TestJourneyClearedToSpeak(t *testing.T) {
	chromium(t)
	dir := screenshotDir(t)
	d := startDemoServer(t)
	ctx, a, base, passwords := context.Background(), d.app, d.base, d.passwords
	for _, u := range []string{"demo-case-worker", "demo-supervisor", "demo-legal-officer", "demo-safety-officer"} {
		if passwords[u] == "" {
			t.Fatalf("no password printed for %s; serve printed:\n%s", u, d.out)
		}
	}
	// Signing needs two different legal officers: the demo's second one, or one
	// added here when the demo has none.
	secondOfficer := "demo-legal-officer-b"
	if passwords[secondOfficer] == "" {
		tn, err := a.Auth.TenantBySlug(ctx, "demo")
		if err != nil {
			t.Fatal(err)
		}
		secondOfficer = "demo-legal-officer-2"
		passwords[secondOfficer] = "a second legal officer's long password"
		if _, err := a.Auth.CreateUser(ctx, auth.Actor{UserID: "cli"}, tn.ID, secondOfficer, authz.LegalOfficer, passwords[secondOfficer], true); err != nil {
			t.Fatal(err)
		}
	}

	// One browser per person, each its own profile (cookies, session, language).
	signIn := func(name string, w, h int) context.Context {
		t.Helper()
		b := newBrowser(t, w, h)
		steps(t, b, "sign in "+name,
			chromedp.Navigate(base+"/login?lang=en"), chromedp.WaitVisible(`#org`),
			chromedp.SendKeys(`#org`, "demo"), chromedp.SendKeys(`#name`, name),
			chromedp.SendKeys(`#password`, passwords[name]), chromedp.Submit(`#password`),
			chromedp.WaitVisible(`.usermenu`))
		return b
	}
	// Forms with data-confirm ask window.confirm; the test says yes.
	confirmYes := chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`)
	text := func(b context.Context, sel string) string {
		t.Helper()
		return strings.TrimSpace(get(t, b, chromedp.Text(sel)))
	}
	today := time.Now().UTC()
	day := func(d time.Time) string { return d.Format(time.DateOnly) }

	cw := signIn("demo-case-worker", 1280, 900)
	sup := signIn("demo-supervisor", 1280, 900)
	phone := signIn("demo-supervisor", 390, 844)
	// Headless Chromium keeps windows at least 500 pixels wide: emulate the phone's
	// viewport, or "phone" pages would be laid out 500 pixels wide.
	steps(t, phone, "phone viewport", chromedp.EmulateViewport(390, 844))
	if w := get(t, phone, chromedp.Evaluate[int](`window.innerWidth`)); w != 390 {
		t.Errorf("the phone's viewport is %d pixels wide, want 390", w)
	}

	// Each stage is photographed by the supervisor (who may read every tab), on the
	// desktop and on a phone; Arabic first, so the language cookie ends in English.
	snap := func(name, path, wait string) {
		t.Helper()
		for _, b := range []struct {
			size string
			ctx  context.Context
		}{{"desktop", sup}, {"phone", phone}} {
			for _, lang := range []string{"ar", "en"} {
				steps(t, b.ctx, name+" "+b.size+" "+lang, chromedp.Navigate(base+path+"?lang="+lang), chromedp.WaitVisible(wait))
				if got := get(t, b.ctx, chromedp.AttributeValue(`html`, "lang")).Value; got != lang {
					t.Errorf("%s %s: html lang = %q, want %q", name, b.size, got, lang)
				}
				shot(t, b.ctx, dir, "journey-"+b.size+"-"+name+"-"+lang)
			}
		}
	}

	// Intake by the case worker.
	steps(t, cw, "intake",
		chromedp.Navigate(base+"/returnees/new?lang=en"),
		chromedp.WaitVisible(`#alias`),
		chromedp.SendKeys(`#alias`, "Juniper"),
		chromedp.SendKeys(`#legal_name`, "Journey Test Person"),
		chromedp.SendKeys(`#languages`, "ar, en"),
		chromedp.Click(`form[action="/returnees"] button[type=submit]`),
		chromedp.WaitVisible(`#identity-section`),
	)
	loc, err := url.Parse(get(t, cw, chromedp.Location()))
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(loc.Path, "/returnees/")
	if id == "" || strings.Contains(id, "/") || text(cw, `h1`) != "Juniper" {
		t.Fatalf("after intake the browser is at %s with h1 %q", loc, text(cw, `h1`))
	}
	casePath := "/returnees/" + id
	legalPath := casePath + "/legal"

	// Screening and the draft by the first legal officer, who also signs first.
	lo1 := signIn("demo-legal-officer", 1280, 900)
	steps(t, lo1, "screening: no capital crime",
		chromedp.Navigate(base+legalPath+"?lang=en"),
		chromedp.WaitVisible(`input[name=capital_crime][value=no]`),
		chromedp.Click(`input[name=capital_crime][value=no]`),
		chromedp.SendKeys(`#offences`, "Membership of an armed group"),
		chromedp.Click(`form[action$="/legal/screening"] button[type=submit]`),
		chromedp.WaitVisible(`#standing [data-field=capital_crime] .badge.ok`),
	)
	if got := text(lo1, `#standing [data-field=capital_crime]`); got != "Capital crime: no" {
		t.Errorf("the finding reads %q, want Capital crime: no", got)
	}
	steps(t, lo1, "draft the agreement",
		chromedp.WaitVisible(`#agreement-terms`),
		chromedp.SendKeys(`#agreement-terms`, "Immunity in exchange for two public forums."),
		chromedp.SetValue(`#agreement-public_forums_count`, "2"),
		chromedp.SetValue(`#agreement-public_forums_from`, day(today)),
		chromedp.SetValue(`#agreement-public_forums_until`, day(today.AddDate(1, 0, 0))),
		chromedp.Click(`form[action="`+legalPath+`/agreements"] button[type=submit]`),
		chromedp.WaitVisible(`article[data-status=draft]`),
	)
	aid := strings.TrimPrefix(get(t, lo1, chromedp.AttributeValue(`article[data-status]`, "id")).Value, "agreement-")
	if aid == "" {
		t.Fatal("the drafted agreement has no id")
	}
	article := `#agreement-` + aid
	transition := func(b context.Context, to, reason string) {
		t.Helper()
		field := `#reason-t-` + aid + `-` + to
		steps(t, b, "move the agreement to "+to,
			chromedp.WaitVisible(field),
			chromedp.SendKeys(field, reason),
			chromedp.Click(`form:has(`+field+`) button[type=submit]`),
			chromedp.WaitVisible(article+`[data-status=`+to+`]`),
		)
	}
	transition(lo1, "under_review", "Ready for the two signatures.")
	steps(t, lo1, "first signature",
		confirmYes,
		chromedp.Click(article+` form[action$="/sign"] button[type=submit]`),
		chromedp.WaitVisible(article+` li[data-signed-by]`),
	)
	if got := get(t, lo1, chromedp.AttributeValue(article, "data-status")).Value; got != "under_review" {
		t.Errorf("after one signature the agreement is %q, want under_review", got)
	}
	if n := get(t, lo1, chromedp.Evaluate[int](`document.querySelectorAll('`+article+` form[action$="/sign"]').length`)); n != 0 {
		t.Errorf("the officer who signed is offered to sign again (%d forms)", n)
	}

	// The second, different legal officer signs, uploads the signed document and puts
	// the agreement in force.
	lo2 := signIn(secondOfficer, 1280, 900)
	steps(t, lo2, "second signature",
		chromedp.Navigate(base+legalPath+"?lang=en"),
		chromedp.WaitVisible(article+`[data-status=under_review]`),
		confirmYes,
		chromedp.Click(article+` form[action$="/sign"] button[type=submit]`),
		chromedp.WaitVisible(article+`[data-status=signed]`),
	)
	if n := get(t, lo2, chromedp.Evaluate[int](`document.querySelectorAll('`+article+` li[data-signed-by]').length`)); n != 2 {
		t.Errorf("the signed agreement lists %d signatures, want 2", n)
	}
	pdf := filepath.Join(t.TempDir(), "signed-agreement.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps(t, lo2, "upload the signed document",
		chromedp.SetUploadFiles(`#document-`+aid, []string{pdf}),
		chromedp.Click(`form[action$="/agreements/`+aid+`/documents"] button[type=submit]`),
		chromedp.WaitVisible(article+` a[download]`),
	)
	transition(lo2, "active", "Signed document received.")
	if got := text(lo2, `#standing [data-field=agreement_status]`); got != "Active" {
		t.Errorf("the standing says the agreement is %q, want Active", got)
	}
	snap("legal-active", legalPath, article+`[data-status=active]`)

	// Consent, taken by the case worker (never by the legal officer).
	steps(t, cw, "give consent",
		chromedp.Navigate(base+casePath+"/consent?lang=en"),
		chromedp.WaitVisible(`#give`),
		chromedp.Click(`#uses-public_forum`),
		chromedp.Click(`#uses-media_interview`),
		chromedp.SetValue(`#identity_level`, "alias_protected"),
		chromedp.Click(`#audiences-own_community`),
		chromedp.Click(`#audiences-national`),
		chromedp.SendKeys(`#languages`, "ar, en"),
		chromedp.SetValue(`#expires`, day(today.AddDate(1, 0, 0))),
		chromedp.Click(`#in_custody-no`),
		chromedp.Click(`#advisor_present-yes`),
		chromedp.Click(`#statement`),
		chromedp.Click(`#give button[type=submit]`),
		chromedp.WaitVisible(`#current-consent .badge[data-status=active]`),
	)
	if got := text(cw, `#current-consent .badge`); got != "In force" {
		t.Errorf("the consent badge reads %q, want In force", got)
	}
	if n := get(t, cw, chromedp.Evaluate[int](`document.querySelectorAll('#free-consent-concern').length`)); n != 0 {
		t.Errorf("consent given out of custody with an advisor is flagged as a concern")
	}
	snap("consent", casePath+"/consent", `#current-consent .badge[data-status=active]`)

	// Assessments: readiness and risk by the case worker, threat by the safety officer.
	assess := func(b context.Context, kind, fill string) string {
		t.Helper()
		steps(t, b, "assess "+kind,
			chromedp.Navigate(base+casePath+"/assessments/"+kind+"?lang=en"),
			chromedp.WaitVisible(`form[action$="/assessments/`+kind+`"]`),
			chromedp.Evaluate[chromedp.Void](fill),
			chromedp.Click(`form[action$="/assessments/`+kind+`"] button[type=submit]`),
			chromedp.WaitVisible(`section[data-assessment]`),
		)
		return get(t, b, chromedp.AttributeValue(`section[data-assessment]`, "data-assessment")).Value
	}
	// Every readiness item "strong" (3) is ready; every risk item 0 is low.
	clickAll := func(sel string) string {
		return `document.querySelectorAll('` + sel + `').forEach(r => r.click())`
	}
	readiness := assess(cw, "readiness_to_speak", clickAll(`input[type=radio][name^="item."][value="3"]`))
	if got := text(cw, `section[data-assessment] dd strong`); got != "Ready to speak" {
		t.Errorf("the readiness assessment's result reads %q, want Ready to speak", got)
	}
	risk := assess(cw, "reengagement_risk", clickAll(`input[type=radio][name^="item."][value="0"]`))
	if got := text(cw, `section[data-assessment] dd strong`); got != "Low" {
		t.Errorf("the risk assessment's result reads %q, want Low", got)
	}
	safety := signIn("demo-safety-officer", 1280, 900)
	threat := assess(safety, "retaliation_threat", `document.getElementById("level").value = "low"`)
	if got := text(safety, `section[data-assessment] dd strong`); got != "Low" {
		t.Errorf("the threat assessment's result reads %q, want Low", got)
	}
	// Not yet: nothing counts before another person signs it off.
	steps(t, cw, "assessments tab before review",
		chromedp.Navigate(base+casePath+"/assessments?lang=en"), chromedp.WaitVisible(`.clearance.not-cleared`))
	for _, aid := range []string{readiness, risk, threat} {
		steps(t, sup, "sign off "+aid,
			chromedp.Navigate(base+casePath+"/assessments/"+aid+"?lang=en"),
			chromedp.WaitVisible(`#review input[name=decision][value=signed_off]`),
			chromedp.Click(`#review input[name=decision][value=signed_off]`),
			chromedp.Click(`#review button[type=submit]`),
			chromedp.WaitVisible(`#clearance`),
		)
	}
	steps(t, cw, "cleared to speak",
		chromedp.Navigate(base+casePath+"/assessments?lang=en"), chromedp.WaitVisible(`.clearance.cleared`))
	if got := text(cw, `#clearance-title`); !strings.Contains(got, "Cleared to speak") {
		t.Errorf("the clearance title reads %q", got)
	}
	if n := get(t, cw, chromedp.Evaluate[int](`document.querySelectorAll('#clearance li.check.fail').length`)); n != 0 {
		t.Errorf("cleared, yet %d checks fail: %s", n, text(cw, `#clearance`))
	}
	// Green means green: the panel's background is a green, not merely the class.
	bg := get(t, cw, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".clearance.cleared")).backgroundColor`))
	if rgb := regexp.MustCompile(`\d+`).FindAllString(bg, 3); len(rgb) != 3 || !greenest(rgb) {
		t.Errorf("the cleared panel's background is %s, not green", bg)
	}
	snap("assessments-cleared", casePath+"/assessments", `.clearance.cleared`)
	steps(t, cw, "overview before withdrawal", chromedp.Navigate(base+casePath+"?lang=en"), chromedp.WaitVisible(`section.glance`))
	if n := get(t, cw, chromedp.Evaluate[int](`document.querySelectorAll('section.glance li.check.fail').length`)); n != 0 {
		t.Errorf("before withdrawal the overview shows %d failing checks: %s", n, text(cw, `section.glance`))
	}

	// The case worker withdraws consent.
	steps(t, cw, "withdraw consent",
		chromedp.Navigate(base+casePath+"/consent?lang=en"),
		chromedp.WaitVisible(`#withdraw`),
		chromedp.SendKeys(`#withdraw #reason`, "The person changed their mind."),
		confirmYes,
		chromedp.Click(`#withdraw button[type=submit]`),
		chromedp.WaitVisible(`#current-consent .badge[data-status=withdrawn]`),
	)
	steps(t, cw, "overview after withdrawal", chromedp.Navigate(base+casePath+"?lang=en"), chromedp.WaitVisible(`section.glance li.check.fail`))
	fails := get(t, cw, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section.glance li.check.fail")].map(li => li.textContent.trim())`))
	const withdrawn = "Consent was withdrawn: nothing may be published or said in public with their story."
	if len(fails) != 1 || !strings.Contains(fails[0], withdrawn) {
		t.Errorf("after withdrawal the overview's failing checks are %q, want only %q", fails, withdrawn)
	}
	oks := get(t, cw, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section.glance li.check.ok")].map(li => li.textContent.trim())`))
	if !containsText(oks, "Screening done and the agreement is in force.") {
		t.Errorf("after withdrawal the overview no longer says the agreement is in force; passing checks: %q", oks)
	}
	snap("overview-withdrawn", casePath, `section.glance li.check.fail`)

	// The withdrawal never touched the agreement: still active, no breach, and the
	// history holds no change after it was put in force.
	steps(t, lo2, "legal tab after withdrawal", chromedp.Navigate(base+legalPath+"?lang=en"), chromedp.WaitVisible(`#standing`))
	if got := get(t, lo2, chromedp.AttributeValue(article, "data-status")).Value; got != "active" {
		t.Errorf("after withdrawal the agreement is %q, want active", got)
	}
	if got := text(lo2, `#standing [data-field=agreement_status] .badge.ok`); got != "Active" {
		t.Errorf("after withdrawal the standing says %q, want Active", got)
	}
	if got := text(lo2, article+` h3 .badge`); got != "Active" {
		t.Errorf("after withdrawal the agreement's badge reads %q, want Active", got)
	}
	history := get(t, lo2, chromedp.Evaluate[[]string](`[...[...document.querySelectorAll('`+article+` table.data')].at(-1).tBodies[0].rows].map(r => r.cells[1].textContent.trim())`))
	if want := []string{"Drafted", "Draft → Under review", "Under review → Signed", "Signed → Active"}; !slices.Equal(history, want) {
		t.Errorf("the agreement's status history is %q, want %q", history, want)
	}
	if body := text(lo2, `main`); strings.Contains(body, "Breached") {
		t.Errorf("the legal tab mentions a breach after the withdrawal")
	}

	if m := a.Site.I18n.MissingKeys(); len(m) > 0 {
		t.Errorf("pages looked up catalogue keys that do not exist: %v", m)
	}
}

// greenest reports whether an rgb colour is green: its green part leads.
func greenest(rgb []string) bool {
	var v [3]int
	for i, s := range rgb {
		for _, c := range s {
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	return v[1] > v[0] && v[1] > v[2]-30
}

func containsText(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
