package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"inoculate/internal/platform/authz"
	"inoculate/internal/returnees/consent"
)

// TestJourneyForum walks issue 4's path in Chromium: a liaison creates a community
// with a three-step chain of command, plans a forum there with Cedar as speaker,
// records the three authorities' approvals in order (the page refuses to schedule
// before), schedules it once the readiness check passes, makes the survey link; a
// member of the audience answers the survey on a phone in Arabic and sees the help
// line; after the forum the liaison marks it held and debriefs. Screenshots of each
// stage in English and Arabic, on a desktop and a phone.
func TestJourneyForum(t *testing.T) {
	chromium(t)
	dir := screenshotDir(t)
	d := startDemoServer(t)
	ctx, a, base, passwords := context.Background(), d.app, d.base, d.passwords
	ten, err := a.Auth.TenantBySlug(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	// Cedar consents to speak to any audience (the new community is not their home):
	// given by the case worker through the consent service, which has its own journey.
	cwUser, err := a.Auth.UserByName(ctx, ten.ID, "demo-case-worker")
	if err != nil {
		t.Fatal(err)
	}
	cw := &authz.Principal{TenantID: ten.ID, UserID: cwUser.ID, Role: authz.CaseWorker, Stage: authz.StageFull, AuthAt: time.Now()}
	people, _ := a.Returnees.List(ctx, ten.ID)
	var cedar string
	for _, p := range people {
		if p.Alias == "Cedar" {
			cedar = p.ID
		}
	}
	if _, err := a.Consent.Give(ctx, cw, "test", cedar, consent.NewConsent{Uses: []consent.Use{consent.UsePublicForum},
		IdentityLevel: consent.LevelAliasProtected, Audiences: []consent.Audience{consent.AudienceWorldwide}, Languages: []string{"ar", "en"},
		Expires: time.Now().AddDate(1, 0, 0).Format(time.DateOnly), AdvisorPresent: true, StatementAcknowledged: true}); err != nil {
		t.Fatal(err)
	}

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
	text := func(b context.Context, sel string) string {
		t.Helper()
		return strings.TrimSpace(get(t, b, chromedp.Text(sel)))
	}
	li := signIn("demo-community-liaison", 1280, 900)
	phone := signIn("demo-community-liaison", 390, 844)
	steps(t, phone, "phone viewport", chromedp.EmulateViewport(390, 844))
	snap := func(name, path, wait string) {
		t.Helper()
		for _, b := range []struct {
			size string
			ctx  context.Context
		}{{"desktop", li}, {"phone", phone}} {
			for _, lang := range []string{"ar", "en"} {
				steps(t, b.ctx, name+" "+b.size+" "+lang, chromedp.Navigate(base+path+"?lang="+lang), chromedp.WaitVisible(wait))
				shot(t, b.ctx, dir, "forum-"+b.size+"-"+name+"-"+lang)
			}
		}
	}

	// A community with a three-step chain of command.
	steps(t, li, "new community",
		chromedp.Navigate(base+"/communities/new?lang=en"), chromedp.WaitVisible(`#name`),
		chromedp.SendKeys(`#name`, "Riverside (test)"), chromedp.SendKeys(`#languages`, "ar"),
		chromedp.Click(`form[action="/communities"] button[type=submit]`), chromedp.WaitVisible(`#chain`))
	loc, err := url.Parse(get(t, li, chromedp.Location()))
	if err != nil {
		t.Fatal(err)
	}
	communityID := strings.TrimPrefix(loc.Path, "/communities/")
	for i, name := range []string{"Elders of Riverside", "Imam of Riverside", "Head of the Riverside family"} {
		steps(t, li, "authority "+name,
			chromedp.SendKeys(`#display_name`, name),
			chromedp.Click(`form[action$="/authorities"] button[type=submit]`),
			chromedp.WaitVisible(`#chain tbody tr:nth-child(`+string(rune('1'+i))+`)`))
	}
	if n := get(t, li, chromedp.Evaluate[int](`document.querySelectorAll("#chain tbody tr").length`)); n != 3 {
		t.Fatalf("the chain has %d steps, want 3", n)
	}

	// The forum, two days ahead.
	start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Hour)
	steps(t, li, "plan the forum",
		chromedp.Navigate(base+"/engagements/new?lang=en&community="+communityID), chromedp.WaitVisible(`#title`),
		chromedp.SendKeys(`#title`, "Riverside forum (test)"),
		chromedp.SetValue(`#start`, start.Format("2006-01-02T15:04")),
		chromedp.SendKeys(`#venue`, "Riverside hall"),
		chromedp.SendKeys(`#venue_details`, "3 River Road, back door"),
		chromedp.Click(`form[action="/engagements"] button[type=submit]`),
		chromedp.WaitVisible(`#readiness`))
	loc, _ = url.Parse(get(t, li, chromedp.Location()))
	path := loc.Path
	if !strings.HasPrefix(path, "/engagements/") || text(li, `h1`) != "Riverside forum (test)" {
		t.Fatalf("after planning the browser is at %s", loc)
	}
	steps(t, li, "add Cedar",
		chromedp.SetValue(`#returnee_id`, cedar),
		chromedp.Click(`form[action$="/speakers"] button[type=submit]`),
		chromedp.WaitVisible(`#speakers .speaker`))
	reasons := text(li, `#readiness`)
	if !strings.Contains(reasons, "Approvals still missing, in this order: Elders of Riverside, Imam of Riverside, Head of the Riverside family") {
		t.Errorf("readiness before approvals:\n%s", reasons)
	}
	// Scheduling before the chain has spoken is refused, with the reasons.
	steps(t, li, "schedule too early", chromedp.Navigate(base+path+"?lang=en"), chromedp.WaitVisible(`form[action$="/schedule"]`),
		chromedp.Click(`form[action$="/schedule"] button`), chromedp.WaitVisible(`.flash.error`))
	if got := text(li, `ol.pipeline li[aria-current=step]`); got != "Proposed" {
		t.Errorf("after a refused scheduling the status is %q", got)
	}
	snap("proposed", path, "#chain")

	for i := range 3 {
		steps(t, li, "approval "+string(rune('1'+i)),
			chromedp.Navigate(base+path+"?lang=en"), chromedp.WaitVisible(`#chain form.decision`),
			chromedp.Click(`#chain form.decision button[type=submit]`),
			chromedp.WaitVisible(`#chain li:nth-child(`+string(rune('1'+i))+`)[data-status=approved]`))
	}
	if n := get(t, li, chromedp.Evaluate[int](`document.querySelectorAll("#chain li[data-status=approved]").length`)); n != 3 {
		t.Fatalf("%d approvals shown, want 3", n)
	}
	if got := text(li, `ol.pipeline li[aria-current=step]`); got != "Approved" {
		t.Errorf("after the chain the status is %q, want Approved", got)
	}
	steps(t, li, "schedule", chromedp.Navigate(base+path+"?lang=en"), chromedp.WaitVisible(`form[action$="/schedule"]`),
		chromedp.Click(`form[action$="/schedule"] button`), chromedp.WaitVisible(`.flash.success`))
	if got := text(li, `ol.pipeline li[aria-current=step]`); got != "Scheduled" {
		t.Fatalf("after scheduling the status is %q, want Scheduled", got)
	}
	steps(t, li, "make the survey link", chromedp.Navigate(base+path+"?lang=en"), chromedp.WaitVisible(`#survey form`),
		chromedp.Click(`#survey form button`), chromedp.WaitNotPresent(`#survey`), chromedp.WaitVisible(`main`))
	if loc := get(t, li, chromedp.Location()); !strings.Contains(loc, "/survey") {
		t.Errorf("after making the link the browser is at %s", loc)
	}
	snap("scheduled", path, "#survey .survey-link")
	link := get(t, li, chromedp.AttributeValue(`#survey .survey-link`, "href")).Value
	if !strings.Contains(link, "/s/") {
		t.Fatalf("survey link %q", link)
	}

	// A member of the audience, on a phone, in Arabic: no sign-in.
	aud := newBrowser(t, 390, 844)
	u, _ := url.Parse(link)
	steps(t, aud, "survey phone viewport", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+u.Path+"?hl=ar"), chromedp.WaitVisible(`form.survey-form`))
	if dir := get(t, aud, chromedp.AttributeValue(`html`, "dir")).Value; dir != "rtl" {
		t.Errorf("the survey in Arabic has dir=%q", dir)
	}
	shot(t, aud, dir, "forum-phone-survey-ar")
	steps(t, aud, "answer",
		chromedp.Click(`input[name=phase][value=before]`),
		chromedp.Click(`input[name=better_life][value="1"]`),
		chromedp.Click(`input[name=joiners_regret][value="4"]`),
		chromedp.Click(`input[name=talk_trusted][value="5"]`),
		chromedp.Click(`form.survey-form button[type=submit]`),
		chromedp.WaitVisible(`.survey-help`))
	thanks := text(aud, `main`)
	if !strings.Contains(thanks, "0800 000 000") {
		t.Errorf("the thank-you page does not show the help line:\n%s", thanks)
	}
	if c := get(t, aud, chromedp.Evaluate[string](`document.cookie`)); c != "" {
		t.Errorf("the survey left cookies: %q", c)
	}
	shot(t, aud, dir, "forum-phone-survey-thanks-ar")
	if n, err := a.Survey.Responses(ctx, ten.ID, strings.TrimPrefix(path, "/engagements/")); err != nil || n != 1 {
		t.Errorf("responses stored: %d %v", n, err)
	}

	// After the forum: held, then debriefed.
	a.Engagements.SetClock(func() time.Time { return start.Add(2 * time.Hour) })
	defer a.Engagements.SetClock(time.Now)
	steps(t, li, "mark held",
		chromedp.Navigate(base+path+"?lang=en"), chromedp.WaitVisible(`form[action$="/held"]`),
		chromedp.Click(`form[action$="/held"] button`), chromedp.WaitVisible(`#attendance`))
	steps(t, li, "debrief page", chromedp.Navigate(base+path+"?lang=en"), chromedp.WaitVisible(`#attendance`))
	steps(t, li, "debrief",
		chromedp.SendKeys(`#attendance`, "42"),
		chromedp.SendKeys(`#what_worked`, "Questions from the young men at the back."),
		chromedp.SendKeys(`#incidents`, "None."),
		chromedp.Click(`form[action$="/debrief"] button[type=submit]`),
		chromedp.WaitVisible(`#debrief dl.kv`))
	if got := text(li, `ol.pipeline li[aria-current=step]`); got != "Debriefed" {
		t.Errorf("after the debrief the status is %q, want Debriefed", got)
	}
	snap("debriefed", path, "#debrief")
	due, err := a.Assess.CheckInDue(ctx, ten.ID, cedar, start.Add(2*time.Hour))
	if err != nil || due.DueOn.IsZero() {
		t.Errorf("no check-in due after the forum: %+v %v", due, err)
	}
	if m := a.Site.I18n.MissingKeys(); len(m) > 0 {
		t.Errorf("pages looked up catalogue keys that do not exist: %v", m)
	}
}
