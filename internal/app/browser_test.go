package app_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"inoculate/internal/app"
	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
)

// chromium finds the browser, skipping the test when there is none — except in CI,
// where a missing browser fails: browser tests must never pass by not running.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("INOCULATE_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but Chromium is not at %s: install it (apt-get install chromium) or set INOCULATE_CHROMIUM", path)
		}
		t.Skipf("browser test skipped: no Chromium at %s (apt-get install chromium fonts-noto-core, or set INOCULATE_CHROMIUM)", path)
	}
	return path
}

// screenshotDir is where screenshots go: $INOCULATE_SCREENSHOTS, or a temp dir.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("INOCULATE_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// startServer boots the real server (app.Open + Serve on a free loopback port) with
// a tenant, a case worker and an auditor who have not yet enrolled TOTP.
func startServer(t *testing.T, demo bool) (base string, a *app.App) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	a, err := app.Open(ctx, app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cli := auth.Actor{UserID: "cli"}
	tn, err := a.Auth.CreateTenant(ctx, cli, "field-office", "Field Office (test)", false)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]authz.Role{"amal": authz.CaseWorker, "omar": authz.Auditor, "nadia": authz.Supervisor} {
		if _, err := a.Auth.CreateUser(ctx, cli, tn.ID, name, role, "a long enough test password", false); err != nil {
			t.Fatal(err)
		}
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- a.Serve(ctx, app.ServeOptions{Addr: "127.0.0.1:0", Demo: demo, Ready: func(u string) { ready <- u }})
	}()
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start within 30 s")
	}
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return base, a
}

func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	tctx, cancel3 := context.WithTimeout(bctx, 3*time.Minute)
	t.Cleanup(cancel3)
	// Headless Chromium will not make a window narrower than 500 px: phone widths
	// are emulated, so pages are laid out (and checked) at the real width.
	if width < 500 {
		steps(t, tctx, "emulate a phone screen", chromedp.EmulateViewport(int64(width), int64(height)))
		if w := get(t, tctx, chromedp.Evaluate[int](`window.innerWidth`)); w != width {
			t.Fatalf("viewport is %d px wide, want %d", w, width)
		}
	}
	return tctx
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	// Nothing may stick out sideways: in right-to-left pages that is the usual sign
	// of a property that did not mirror.
	if get(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)) {
		t.Errorf("%s: the page is wider than the window", name)
	}
	// A full-page capture of a right-to-left page shorter than the window comes out
	// shifted in Chromium; such a page fits the viewport capture anyway.
	capture := chromedp.FullScreenshot(100)
	if get(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollHeight <= window.innerHeight`)) {
		capture = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(ctx, capture)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

// steps runs browser steps, failing the test with what was being done.
func steps(t *testing.T, ctx context.Context, what string, a ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, a...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one browser action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// signInWithTOTP signs in a user who has not enrolled yet: password, then the
// enrolment page, whose manual key the test turns into a code like an app would.
func signInWithTOTP(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	steps(t, ctx, "sign in "+name+" up to enrolment",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(`#name`),
		chromedp.SendKeys(`#name`, name),
		chromedp.SendKeys(`#password`, "a long enough test password"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`#totp-secret`),
	)
	secret := get(t, ctx, chromedp.Text(`#totp-secret`))
	code, err := totp.GenerateCode(strings.ReplaceAll(secret, " ", ""), time.Now())
	if err != nil {
		t.Fatalf("code from the enrolment key %q: %v", secret, err)
	}
	// The QR code is an image the server renders; wait until the browser decoded it.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const i = document.querySelector("img.qr"); return i.complete && i.naturalWidth > 0 })()`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the enrolment QR code did not load: %v", err)
	}
	steps(t, ctx, "enrol TOTP for "+name,
		chromedp.SendKeys(`#code`, code),
		chromedp.Submit(`#code`),
		chromedp.WaitVisible(`.usermenu`),
	)
}

func TestBrowserJourney(t *testing.T) {
	chromium(t)
	base, a := startServer(t, false)
	dir := screenshotDir(t)
	ctx := newBrowser(t, 1280, 900)

	signInWithTOTP(t, ctx, base, "amal")
	if dash := get(t, ctx, chromedp.Text(`main`)); !strings.Contains(dash, "No returnees yet") {
		t.Errorf("dashboard empty state missing; main reads %q", dash)
	}
	shot(t, ctx, dir, "dashboard-en")

	// Create a returnee; the identity stays hidden until revealed with a reason.
	steps(t, ctx, "create returnee",
		chromedp.Navigate(base+"/returnees/new"),
		chromedp.WaitVisible(`#alias`),
		chromedp.SendKeys(`#alias`, "Juniper"),
		chromedp.SendKeys(`#legal_name`, "Test Person Alpha"),
		chromedp.SendKeys(`#phone`, "+44 20 7946 0001"),
		chromedp.SendKeys(`#address`, "1 Fictional Lane"),
		chromedp.Submit(`#alias`),
		chromedp.WaitVisible(`#identity-section`),
	)
	if h1 := get(t, ctx, chromedp.Text(`h1`)); h1 != "Juniper" {
		t.Errorf("returnee page h1 = %q", h1)
	}
	if main := get(t, ctx, chromedp.Text(`main`)); strings.Contains(main, "Test Person Alpha") {
		t.Fatalf("identity shown before reveal")
	}
	shot(t, ctx, dir, "returnee-hidden-en")
	steps(t, ctx, "reveal",
		chromedp.SendKeys(`#reason`, "Preparing the safety plan for the first forum"),
		chromedp.Click(`#identity-section button[type=submit]`),
		chromedp.WaitVisible(`.identity-panel`),
	)
	shown := get(t, ctx, chromedp.Text(`.identity-panel`))
	if !strings.Contains(shown, "Test Person Alpha") || !strings.Contains(shown, "+442079460001") {
		t.Errorf("revealed identity panel reads %q", shown)
	}
	shot(t, ctx, dir, "returnee-revealed-en")

	// Sign out; the auditor sees the reveal in the log.
	steps(t, ctx, "sign out", chromedp.Click(`.usermenu button`), chromedp.WaitVisible(`#name`))
	signInWithTOTP(t, ctx, base, "omar")
	steps(t, ctx, "audit page", chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(`table.audit`))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('tr[data-action="returnee.reveal"]').length`)); n != 1 {
		t.Errorf("audit log shows %d reveal entries, want 1", n)
	}
	shot(t, ctx, dir, "audit-en")

	// Arabic: the switch sets lang and dir on the root element, and the page mirrors.
	steps(t, ctx, "switch to Arabic", chromedp.Click(`.langswitch a[lang=ar]`), chromedp.WaitVisible(`html[dir=rtl]`))
	lang := get(t, ctx, chromedp.AttributeValue(`html`, "lang")).Value
	dirAttr := get(t, ctx, chromedp.AttributeValue(`html`, "dir")).Value
	title := get(t, ctx, chromedp.Text(`h1`))
	if lang != "ar" || dirAttr != "rtl" || title == "" || title == "Audit log" {
		t.Errorf("Arabic page: lang=%q dir=%q h1=%q", lang, dirAttr, title)
	}
	if !get(t, ctx, chromedp.Evaluate[bool](`document.querySelector(".brand").getBoundingClientRect().left > window.innerWidth/2`)) {
		t.Errorf("in Arabic the brand should sit on the right (the layout did not mirror)")
	}
	shot(t, ctx, dir, "audit-ar")
	steps(t, ctx, "Arabic dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(`.usermenu`))
	shot(t, ctx, dir, "dashboard-ar")

	// The same pages at phone width, in both languages.
	phone := newBrowser(t, 390, 844)
	signInWithTOTP(t, phone, base, "nadia")
	for _, lang := range []string{"en", "ar"} {
		steps(t, phone, "phone returnees "+lang, chromedp.Navigate(base+"/returnees?lang="+lang), chromedp.WaitVisible(`table.data`))
		shot(t, phone, dir, "phone-returnees-"+lang)
		steps(t, phone, "phone returnee "+lang, chromedp.Click(`table.data a`), chromedp.WaitVisible(`#identity-section`))
		shot(t, phone, dir, "phone-returnee-"+lang)
	}
	steps(t, phone, "phone login", chromedp.Click(`.usermenu button`), chromedp.WaitVisible(`#name`))
	shot(t, phone, dir, "phone-login-ar")

	if m := a.Site.I18n.MissingKeys(); len(m) > 0 {
		t.Errorf("pages looked up catalogue keys that do not exist: %v", m)
	}
}
