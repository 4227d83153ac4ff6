package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"inoculate/internal/platform/upload"
)

// TestJourneyRecording uploads a recording from the testimony page in Chromium: the
// browser client sends it in chunks with a progress bar, the page reloads with the
// recording listed; then it reads the Arabic track of the demo testimony, where an
// open flag's words are masked.
func TestJourneyRecording(t *testing.T) {
	chromium(t)
	dir := screenshotDir(t)
	d := startDemoServer(t)
	tms, err := d.app.Testimonies.List(t.Context(), demoTenantID(t, d))
	if err != nil || len(tms) == 0 {
		t.Fatalf("demo testimony: %v", err)
	}
	path := "/testimonies/" + tms[0].ID
	file := filepath.Join(t.TempDir(), "interview.wav")
	if err := os.WriteFile(file, wav(2*upload.MinChunk+12345), 0o600); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 1280, 900)
	steps(t, b, "sign in",
		chromedp.Navigate(d.base+"/login?lang=en"), chromedp.WaitVisible(`#org`),
		chromedp.SendKeys(`#org`, "demo"), chromedp.SendKeys(`#name`, "demo-comms-officer"),
		chromedp.SendKeys(`#password`, d.passwords["demo-comms-officer"]), chromedp.Submit(`#password`),
		chromedp.WaitVisible(`.usermenu`))
	steps(t, b, "upload",
		chromedp.Navigate(d.base+path+"?lang=en"), chromedp.WaitVisible(`#recording-file`),
		chromedp.SetUploadFiles(`#recording-file`, []string{file}),
		chromedp.WaitVisible(`#recordings li`))
	got := strings.TrimSpace(get(t, b, chromedp.Text(`#recordings li`)))
	if !strings.Contains(got, "wav") {
		t.Fatalf("recording listed as %q", got)
	}
	shot(t, b, dir, "testimony-desktop-recorded-en")
	steps(t, b, "arabic page", chromedp.Navigate(d.base+path+"?lang=ar&track=en"), chromedp.WaitVisible(`#flags`))
	if text := get(t, b, chromedp.Text(`#tracks table`)); strings.Contains(text, "Hill Village") || !strings.Contains(text, "▮▮▮") {
		t.Errorf("the open flag's words are not masked:\n%s", text)
	}
	shot(t, b, dir, "testimony-desktop-masked-ar")
}

func demoTenantID(t *testing.T, d demoServer) string {
	t.Helper()
	ten, err := d.app.Auth.TenantBySlug(t.Context(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	return ten.ID
}
