package app_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestJourneyReachPlan builds a small channel model in Chromium (a CSV import of
// audience cells with a bad row first, then a good file; who a channel reaches; an
// option), plans a campaign in Arabic and in English, and accepts the English plan,
// which proposes its engagements. Screenshots of each page, desktop and phone.
func TestJourneyReachPlan(t *testing.T) {
	chromium(t)
	dir := screenshotDir(t)
	d := startDemoServer(t)
	base, passwords := d.base, d.passwords
	b := newBrowser(t, 1280, 900)
	steps(t, b, "sign in",
		chromedp.Navigate(base+"/login?lang=en"), chromedp.WaitVisible(`#org`),
		chromedp.SendKeys(`#org`, "demo"), chromedp.SendKeys(`#name`, "demo-community-liaison"),
		chromedp.SendKeys(`#password`, passwords["demo-community-liaison"]), chromedp.Submit(`#password`),
		chromedp.WaitVisible(`.usermenu`))
	text := func(sel string) string { return strings.TrimSpace(get(t, b, chromedp.Text(sel))) }

	// CSV import: a file with a bad row is refused whole, every bad row listed.
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "cells-bad.csv")
	good := filepath.Join(tmp, "cells.csv")
	header := "community,language,age_band,size,source,year\n"
	if err := os.WriteFile(bad, []byte(header+"Harbour Town (fictional),ar,25-34,2100,Fictional census,2024\nHarbour Town (fictional),ar,99-100,abc,,2024\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte(header+"Harbour Town (fictional),ar,25-34,2100,Fictional census,2024\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps(t, b, "import a bad file",
		chromedp.Navigate(base+"/reach?lang=en"), chromedp.WaitVisible(`#csv-cells`),
		chromedp.SetUploadFiles(`#csv-cells`, []string{bad}),
		chromedp.Click(`form[action="/reach/import/cells"] button`), chromedp.WaitVisible(`#import-result`))
	res := text(`#import-result`)
	if !strings.Contains(res, "Nothing was imported") || !strings.Contains(res, "3") {
		t.Fatalf("bad import result:\n%s", res)
	}
	shot(t, b, dir, "reach-desktop-import-refused-en")
	steps(t, b, "import a good file",
		chromedp.Navigate(base+"/reach?lang=en"), chromedp.WaitVisible(`#csv-cells`),
		chromedp.SetUploadFiles(`#csv-cells`, []string{good}),
		chromedp.Click(`form[action="/reach/import/cells"] button`), chromedp.WaitVisible(`#import-result .badge.ok`))
	if n := get(t, b, chromedp.Evaluate[int](`document.querySelectorAll("#cells tbody tr").length`)); n != 4 {
		t.Fatalf("%d cells after the import, want 4", n)
	}

	plan := func(lang, name string) string {
		t.Helper()
		steps(t, b, "plan "+lang, chromedp.Navigate(base+"/reach/plans?lang="+lang), chromedp.WaitVisible(`#plan-form`),
			chromedp.SendKeys(`#plan-name`, name),
			chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("#plan-form input[name=target]").forEach(c => c.checked = true)`),
			chromedp.SendKeys(`#budget_money`, "500"), chromedp.SendKeys(`#budget_hours`, "6"),
			chromedp.Click(`#plan-form button[type=submit]`), chromedp.WaitVisible(`#summary`))
		shot(t, b, dir, "reach-desktop-plan-"+lang)
		loc, _ := url.Parse(get(t, b, chromedp.Location()))
		return loc.Path
	}
	arPath := plan("ar", "حملة الميناء (تجريبية)")
	if dir := get(t, b, chromedp.AttributeValue(`html`, "dir")).Value; dir != "rtl" {
		t.Errorf("the Arabic plan page has dir=%q", dir)
	}
	enPath := plan("en", "Harbour campaign (test)")
	if arPath == enPath {
		t.Fatal("the two plans are one")
	}
	est, err := strconv.Atoi(get(t, b, chromedp.AttributeValue(`#summary [data-estimate]`, "data-estimate")).Value)
	if err != nil || est <= 0 {
		t.Fatalf("estimate %q", get(t, b, chromedp.AttributeValue(`#summary [data-estimate]`, "data-estimate")).Value)
	}
	chosen := text(`#chosen`)
	if !strings.Contains(chosen, "Adds about") {
		t.Errorf("no choice explained:\n%s", chosen)
	}
	summary := text(`#summary`)
	if !strings.Contains(summary, "Guarantee: at least") || !strings.Contains(summary, "Uses") {
		t.Errorf("summary:\n%s", summary)
	}
	// Accept: the engagements are proposed and linked from the plan.
	steps(t, b, "accept", chromedp.Click(`form[action$="/accept"] button`), chromedp.WaitVisible(`#accept .flash.success`))
	links := get(t, b, chromedp.Evaluate[int](`document.querySelectorAll("#accept a[href^='/engagements/']").length`))
	if links == 0 {
		t.Fatalf("accepting proposed no engagement:\n%s", text(`#accept`))
	}
	shot(t, b, dir, "reach-desktop-accepted-en")
	steps(t, b, "open a proposed engagement", chromedp.Click(`#accept a[href^='/engagements/']`), chromedp.WaitVisible(`#chain`))
	if got := text(`ol.pipeline li[aria-current=step]`); got != "Proposed" {
		t.Errorf("the plan's engagement is %q, want Proposed", got)
	}
	phone := newBrowser(t, 390, 844)
	steps(t, phone, "phone", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/login?lang=ar"), chromedp.WaitVisible(`#org`),
		chromedp.SendKeys(`#org`, "demo"), chromedp.SendKeys(`#name`, "demo-community-liaison"),
		chromedp.SendKeys(`#password`, passwords["demo-community-liaison"]), chromedp.Submit(`#password`),
		chromedp.WaitVisible(`.usermenu`), chromedp.Navigate(base+arPath+"?lang=ar"), chromedp.WaitVisible(`#summary`))
	shot(t, phone, dir, "reach-phone-plan-ar")
	if m := d.app.Site.I18n.MissingKeys(); len(m) > 0 {
		t.Errorf("pages looked up catalogue keys that do not exist: %v", m)
	}
}
