package app_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"inoculate/internal/app"
)

// lockedBuffer collects what the server prints while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// demoServer is a real server with the demo loaded, as `serve --demo` runs it.
type demoServer struct {
	app       *app.App
	base      string
	out       string // what serve printed
	setupLink string
	passwords map[string]string // demo user → password
	dataDir   string
}

// startDemoServer boots the real server with --demo on a free port and reads the
// printed setup link and demo passwords, as a person would.
func startDemoServer(t *testing.T) demoServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dataDir := t.TempDir()
	a, err := app.Open(ctx, app.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- a.Serve(ctx, app.ServeOptions{Addr: "127.0.0.1:0", Demo: true, Out: &out, Ready: func(u string) { ready <- u }})
	}()
	d := demoServer{app: a, passwords: map[string]string{}, dataDir: dataDir}
	select {
	case d.base = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	d.out = out.String()
	d.setupLink = regexp.MustCompile(`/setup/\S+`).FindString(d.out)
	for _, m := range regexp.MustCompile(`(?m)^  (demo-\S+)\s+\S+\s+password: (\S+)$`).FindAllStringSubmatch(d.out, -1) {
		d.passwords[m[1]] = m[2]
	}
	return d
}

// TestPageGallery visits every page in English and Arabic, at desktop and phone
// widths: each must render without missing translations and without sticking out
// sideways; the screenshots are for people to look at.
func TestPageGallery(t *testing.T) {
	chromium(t)
	dir := screenshotDir(t)
	d := startDemoServer(t)
	ctx, a, base, out, link, passwords := context.Background(), d.app, d.base, d.out, d.setupLink, d.passwords
	if link == "" || len(passwords) != 11 {
		t.Fatalf("serve printed:\n%s", out)
	}

	// First administrator: the setup link, then TOTP enrolment.
	b := newBrowser(t, 1280, 900)
	steps(t, b, "setup page", chromedp.Navigate(base+link), chromedp.WaitVisible(`#name`))
	shot(t, b, dir, "gallery-setup-en")
	steps(t, b, "setup page ar", chromedp.Navigate(base+link+"?lang=ar"), chromedp.WaitVisible(`#name`))
	shot(t, b, dir, "gallery-setup-ar")
	steps(t, b, "create first admin",
		chromedp.SendKeys(`#name`, "root"),
		chromedp.SendKeys(`#password`, "the first administrator's password"),
		chromedp.SendKeys(`#password2`, "the first administrator's password"),
		chromedp.Submit(`#name`),
		chromedp.WaitVisible(`#totp-secret`),
	)
	shot(t, b, dir, "gallery-enrol-ar")
	secret := strings.ReplaceAll(get(t, b, chromedp.Text(`#totp-secret`)), " ", "")
	code, _ := totp.GenerateCode(secret, time.Now())
	steps(t, b, "enrol", chromedp.SendKeys(`#code`, code), chromedp.Submit(`#code`), chromedp.WaitVisible(`.usermenu`))
	steps(t, b, "sign out", chromedp.Click(`.usermenu button`), chromedp.WaitVisible(`#password`))
	shot(t, b, dir, "gallery-login-ar")
	steps(t, b, "to the code page",
		chromedp.Navigate(base+"/login?lang=en"), chromedp.WaitVisible(`#org`),
		chromedp.SendKeys(`#org`, "main"), chromedp.SendKeys(`#name`, "root"),
		chromedp.SendKeys(`#password`, "the first administrator's password"), chromedp.Submit(`#password`),
		chromedp.WaitVisible(`#code`))
	shot(t, b, dir, "gallery-totp-en")

	ten, err := a.Auth.TenantBySlug(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	people, _ := a.Returnees.List(ctx, ten.ID)
	worked := "/returnees/" + people[0].ID // Cedar, worked through every part
	withdrew := "/returnees/" + people[1].ID
	comms, _ := a.Communities.List(ctx, ten.ID)
	community := "/communities/" + comms[0].ID
	evs, _ := a.Engagements.List(ctx, ten.ID, time.Time{}, time.Time{})
	if len(evs) < 4 {
		t.Fatalf("the demo has %d engagements, want 4", len(evs))
	}
	engagement := func(status, title string) string {
		for _, e := range evs {
			if string(e.Status) == status && strings.Contains(e.Title, title) {
				return "/engagements/" + e.ID
			}
		}
		t.Fatalf("no %s engagement in the demo", status)
		return ""
	}
	tms, _ := a.Testimonies.List(ctx, ten.ID)
	if len(tms) == 0 {
		t.Fatal("the demo has no testimony")
	}
	type visit struct{ user, path, wait, name string }
	visits := []visit{
		{"demo-community-liaison", "/communities", "main", "communities"},
		{"demo-community-liaison", community, "main", "community"},
		{"demo-community-liaison", community + "/edit", "main", "community-edit"},
		{"demo-community-liaison", "/engagements", "main", "engagements"},
		{"demo-community-liaison", "/engagements/new", "#title", "engagement-new"},
		{"demo-community-liaison", engagement("proposed", "Friday"), "#chain", "engagement-proposed"},
		{"demo-comms-officer", engagement("proposed", "Radio"), "#media", "engagement-interview"},
		{"demo-community-liaison", engagement("scheduled", ""), "#readiness", "engagement-scheduled"},
		{"demo-community-liaison", engagement("debriefed", ""), "#debrief", "engagement-debriefed"},
		{"demo-comms-officer", engagement("scheduled", ""), "#readiness", "engagement-comms"},
		{"demo-community-liaison", "/engagements/assistant", "main", "assistant"},
		{"demo-community-liaison", "/calendar", "main", "calendar-month"},
		{"demo-community-liaison", "/calendar?view=week", "main", "calendar-week"},
		{"demo-community-liaison", "/channels", "main", "channels"},
		{"demo-supervisor", "/engagements/settings", "#weekly_limit", "engagement-settings"},
		{"demo-comms-officer", "/reach", "#options", "reach-model"},
		{"demo-comms-officer", "/testimonies", "main", "testimonies"},
		{"demo-comms-officer", "/takedowns", "main", "takedowns"},
		{"demo-comms-officer", "/testimonies/" + tms[0].ID, "#flags", "testimony"},
		{"demo-comms-officer", "/testimonies/" + tms[0].ID + "?track=ar", "#flags", "testimony-ar-track"},
		{"demo-comms-officer", "/reach/plans", "main", "reach-plans"},
		{"demo-supervisor", worked, "section.glance", "case-overview"},
		{"demo-supervisor", withdrew, "section.glance", "case-overview-withdrawn"},
		{"demo-legal-officer", worked + "/legal", "main", "case-legal"},
		{"demo-case-worker", worked + "/consent", "main", "case-consent"},
		{"demo-case-worker", worked + "/assessments", ".clearance", "case-assessments"},
		{"demo-safety-officer", worked + "/safety", "main", "case-safety"},
		{"demo-case-worker", worked + "/family", "main", "case-family"},
		{"demo-community-liaison", worked + "/family", "main", "case-family-liaison"},
		{"demo-community-liaison", worked + "/access", "main", "access-request"},
		{"demo-supervisor", "/custody", "main", "custody"},
		{"demo-supervisor", "/teams", "main", "teams"},
		{"demo-admin", "/", ".usermenu", "dashboard-admin"},
		{"demo-admin", "/admin/users", "table.data", "users"},
		{"demo-admin", "/admin/users/new", "#role", "user-new"},
		{"demo-admin", "/login/step-up?next=/admin/users", "#password", "step-up"},
		{"demo-supervisor", "/", ".usermenu", "dashboard-supervisor"},
		{"demo-supervisor", "/returnees", "table.data", "returnees"},
		{"demo-supervisor", "/returnees/new", "#alias", "returnee-new"},
		{"demo-supervisor", "/no/such/page", "main", "not-found"},
		{"demo-evaluator", "/", ".usermenu", "dashboard-evaluator"},
		{"demo-auditor", "/audit", "table.audit", "audit"},
	}
	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		signedIn := map[string]context.Context{}
		for _, v := range visits {
			bctx, ok := signedIn[v.user]
			if !ok {
				bctx = newBrowser(t, size.w, size.h)
				steps(t, bctx, "sign in "+v.user,
					chromedp.Navigate(base+"/login?lang=en"), chromedp.WaitVisible(`#org`),
					chromedp.SendKeys(`#org`, "demo"), chromedp.SendKeys(`#name`, v.user),
					chromedp.SendKeys(`#password`, passwords[v.user]), chromedp.Submit(`#password`),
					chromedp.WaitVisible(`.usermenu`))
				signedIn[v.user] = bctx
			}
			for _, lang := range []string{"en", "ar"} {
				sep := "?"
				if strings.Contains(v.path, "?") {
					sep = "&"
				}
				steps(t, bctx, v.name+" "+lang, chromedp.Navigate(base+v.path+sep+"lang="+lang), chromedp.WaitVisible(v.wait))
				if banner := get(t, bctx, chromedp.Evaluate[int](`document.querySelectorAll(".demo-banner").length`)); banner != 1 {
					t.Errorf("%s: demo banner shown %d times", v.name, banner)
				}
				shot(t, bctx, dir, "gallery-"+size.name+"-"+v.name+"-"+lang)
			}
		}
		// The first returnee's page, with the identity revealed (fresh sign-in).
		sup := signedIn["demo-supervisor"]
		for _, lang := range []string{"en", "ar"} {
			steps(t, sup, "returnee "+lang, chromedp.Navigate(base+"/returnees?lang="+lang), chromedp.Click(`table.data a`), chromedp.WaitVisible(`#reason`))
			steps(t, sup, "reveal "+lang, chromedp.SendKeys(`#reason`, "Gallery screenshot of the page"),
				chromedp.Click(`#identity-section button[type=submit]`), chromedp.WaitVisible(`.identity-panel`))
			shot(t, sup, dir, "gallery-"+size.name+"-returnee-revealed-"+lang)
		}
	}
	if m := a.Site.I18n.MissingKeys(); len(m) > 0 {
		t.Errorf("pages looked up catalogue keys that do not exist: %v", m)
	}
}
