package app_test

import (
	"context"
	"github.com/chromedp/chromedp"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"inoculate/internal/app"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/testimonies"
)

// testVideo makes a short 320×240 video with sound, here, with ffmpeg.
func testVideo(t *testing.T) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg is not installed: .ci/run installs it")
		}
		t.Skip("ffmpeg is not installed (apt install ffmpeg): renditions are not exercised")
	}
	out := filepath.Join(t.TempDir(), "v.mp4")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10",
		"-f", "lavfi", "-i", "sine=frequency=440", "-t", "3", "-metadata", "title=CANARY-TITLE", "-c:v", "libx264", "-c:a", "aac", "-shortest", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRendition: the demo's speaker consents at the alias-protected level, so a
// rendition of a clip is made in the background with faces filled and the voice
// removed, re-encoded, checked clean on the exact file (the original's title tag is
// gone), sealed, and no decrypted copy is left in the data directory.
func TestRendition(t *testing.T) {
	video := testVideo(t)
	d := startDemoServer(t)
	ctx := context.Background()
	a := d.app
	ten, _ := a.Auth.TenantBySlug(ctx, "demo")
	u, _ := a.Auth.UserByName(ctx, ten.ID, "demo-comms-officer")
	co := &authz.Principal{TenantID: ten.ID, UserID: u.ID, Role: authz.CommsOfficer, Stage: authz.StageFull, AuthAt: time.Now()}
	tms, _ := a.Testimonies.List(ctx, ten.ID)
	id := tms[0].ID
	uploadRecording(t, a, co, id, video)
	clip, err := a.Testimonies.AddClip(ctx, co, "t", id, "First seconds", 500*time.Millisecond, 2500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.Testimonies.RequestRendition(ctx, co, "t", id, clip.ID)
	if err != nil || r.Status != "queued" || r.IdentityLevel != "alias_protected" {
		t.Fatalf("request: %+v %v", r, err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for r.Status == "queued" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		if r, err = a.Testimonies.Rendition(ctx, ten.ID, id, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if r.Status != "done" || !r.Clean || r.Size == 0 || len(r.SHA256) != 64 {
		t.Fatalf("rendition: %+v findings %s", r, r.Findings)
	}
	// The release gate: closed until every condition holds, each with who and when.
	releaseThroughGate(t, a, ten.ID, tms[0].ReturneeID, id, r, co)
	publishAndWithdraw(t, a, ten.ID, tms[0].ReturneeID, id, r, co)
	work := filepath.Join(d.dataDir, "work")
	entries, _ := os.ReadDir(work)
	if len(entries) != 0 {
		t.Errorf("the work directory still holds %d entries", len(entries))
	}
}

// releaseThroughGate walks rendition r of testimony id through the release gate: it
// checks the gate is closed at first and that a release is refused, gives the speaker
// a consent to publication, records every review (one approval by who asked for it,
// which does not count), resolves the open flags, and releases for a national
// audience, which the consent covers (and not worldwide, which it does not).
func releaseThroughGate(t *testing.T, a *app.App, tenantID, speaker, id string, r testimonies.Rendition, co *authz.Principal) {
	t.Helper()
	ctx := context.Background()
	user := func(name string, role authz.Role) *authz.Principal {
		u, err := a.Auth.UserByName(ctx, tenantID, name)
		if err != nil {
			t.Fatal(err)
		}
		return &authz.Principal{TenantID: tenantID, UserID: u.ID, Role: role, Stage: authz.StageFull, AuthAt: time.Now()}
	}
	lo, so, sup, cw := user("demo-legal-officer", authz.LegalOfficer), user("demo-safety-officer", authz.SafetyOfficer),
		user("demo-supervisor", authz.Supervisor), user("demo-case-worker", authz.CaseWorker)
	g, err := a.Testimonies.Gate(ctx, tenantID, id, r.ID, consent.AudienceNational)
	if err != nil || g.Open {
		t.Fatalf("gate before anything: %+v %v", g, err)
	}
	if _, err := a.Testimonies.Release(ctx, co, "t", id, r.ID, consent.AudienceNational); !errs.Is(err, errs.Conflict) {
		t.Fatalf("released through a closed gate: %v", err)
	}
	if _, err := a.Consent.Give(ctx, cw, "t", speaker, consent.NewConsent{Uses: []consent.Use{consent.UseRecordedTestimony, consent.UseOnlinePublication},
		IdentityLevel: consent.LevelAliasProtected, Audiences: []consent.Audience{consent.AudienceNational}, Languages: []string{"ar", "en"},
		Expires: time.Now().AddDate(1, 0, 0).Format(time.DateOnly), AdvisorPresent: true, StatementAcknowledged: true}); err != nil {
		t.Fatal(err)
	}
	review := func(p *authz.Principal, kind, decision string, checked ...string) {
		t.Helper()
		if err := a.Testimonies.RecordReview(ctx, p, "t", id, r.ID, testimonies.ReviewInput{Kind: kind, Decision: decision,
			Note: "Reviewed for the test: nothing found.", Checked: checked}); err != nil {
			t.Fatalf("%s review: %v", kind, err)
		}
	}
	if err := a.Testimonies.RecordReview(ctx, co, "t", id, r.ID, testimonies.ReviewInput{Kind: testimonies.ReviewLegal, Decision: "pass", Note: "not mine to give"}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("a comms officer gave the legal review: %v", err)
	}
	review(lo, testimonies.ReviewLegal, "pass")
	review(so, testimonies.ReviewSafety, "pass")
	review(so, testimonies.ReviewContext, "pass", testimonies.ContextItems...)
	review(co, testimonies.ReviewAudience, "waived")
	review(co, testimonies.ReviewApproval, "pass") // who asked for it: does not count
	review(sup, testimonies.ReviewApproval, "pass")
	g, _ = a.Testimonies.Gate(ctx, tenantID, id, r.ID, consent.AudienceNational)
	if g.Open {
		t.Fatalf("open with one counting approval and an open flag: %+v", g)
	}
	review(so, testimonies.ReviewApproval, "pass")
	flags, _ := a.Testimonies.Flags(ctx, co, "t", id)
	for _, f := range flags {
		if f.Status == testimonies.FlagOpen {
			if err := a.Testimonies.ResolveFlag(ctx, co, "t", id, f.ID, testimonies.FlagRedacted, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	if g, _ = a.Testimonies.Gate(ctx, tenantID, id, r.ID, consent.AudienceWorldwide); g.Open {
		t.Fatal("open for an audience the consent does not cover")
	}
	g, err = a.Testimonies.Release(ctx, co, "t", id, r.ID, consent.AudienceNational)
	if err != nil || !g.Released || g.SHA256 != r.SHA256 {
		t.Fatalf("release: %+v %v", g, err)
	}
}

// TestJourneyReleaseGate shows the release gate on the testimony page in Chromium:
// a rendition made in the background, its conditions each failing or passing with
// who and when, in English and Arabic, on a desktop and a phone.
func TestJourneyReleaseGate(t *testing.T) {
	chromium(t)
	video := testVideo(t)
	dir := screenshotDir(t)
	d := startDemoServer(t)
	ctx := context.Background()
	a := d.app
	ten, _ := a.Auth.TenantBySlug(ctx, "demo")
	u, _ := a.Auth.UserByName(ctx, ten.ID, "demo-comms-officer")
	co := &authz.Principal{TenantID: ten.ID, UserID: u.ID, Role: authz.CommsOfficer, Stage: authz.StageFull, AuthAt: time.Now()}
	tms, _ := a.Testimonies.List(ctx, ten.ID)
	id := tms[0].ID
	uploadRecording(t, a, co, id, video)
	clips, _ := a.Testimonies.Clips(ctx, ten.ID, id)
	r, err := a.Testimonies.RequestRendition(ctx, co, "t", id, clips[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(90 * time.Second); r.Status == "queued" && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		r, _ = a.Testimonies.Rendition(ctx, ten.ID, id, r.ID)
	}
	if r.Status != "done" {
		t.Fatalf("rendition: %+v", r)
	}
	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		b := newBrowser(t, size.w, size.h)
		steps(t, b, "sign in", chromedp.EmulateViewport(int64(size.w), int64(size.h)),
			chromedp.Navigate(d.base+"/login?lang=en"), chromedp.WaitVisible(`#org`),
			chromedp.SendKeys(`#org`, "demo"), chromedp.SendKeys(`#name`, "demo-comms-officer"),
			chromedp.SendKeys(`#password`, d.passwords["demo-comms-officer"]), chromedp.Submit(`#password`),
			chromedp.WaitVisible(`.usermenu`))
		for _, lang := range []string{"en", "ar"} {
			steps(t, b, "gate "+lang, chromedp.Navigate(d.base+"/testimonies/"+id+"?lang="+lang), chromedp.WaitVisible(`#renditions li[data-code=two_person]`))
			shot(t, b, dir, "testimony-"+size.name+"-gate-"+lang)
		}
	}
}

// publishAndWithdraw publishes a released rendition on a channel, then the speaker
// withdraws consent: at once the release is revoked (the rendition can never be
// published again) and a takedown task is open, which a communications officer
// closes.
func publishAndWithdraw(t *testing.T, a *app.App, tenantID, speaker, id string, r testimonies.Rendition, co *authz.Principal) {
	t.Helper()
	ctx := context.Background()
	chs, err := a.Engagements.Channels(ctx, tenantID)
	if err != nil || len(chs) == 0 {
		t.Fatalf("channels: %v", err)
	}
	pub, err := a.Testimonies.Publish(ctx, co, "t", id, r.ID, chs[0].ID, "https://example.org/fictional/clip", "en")
	if err != nil || pub.Status != "live" {
		t.Fatalf("publish: %+v %v", pub, err)
	}
	u, _ := a.Auth.UserByName(ctx, tenantID, "demo-case-worker")
	cw := &authz.Principal{TenantID: tenantID, UserID: u.ID, Role: authz.CaseWorker, Stage: authz.StageFull, AuthAt: time.Now()}
	if _, err := a.Consent.Withdraw(ctx, cw, "t", speaker, "Fictional: the family asked for it to come down."); err != nil {
		t.Fatal(err)
	}
	tasks, err := a.Testimonies.Takedowns(ctx, tenantID)
	if err != nil || len(tasks) != 1 || tasks[0].Status != "open" || tasks[0].PublicationID != pub.ID {
		t.Fatalf("takedown tasks right after the withdrawal: %+v %v", tasks, err)
	}
	if _, err := a.Testimonies.Publish(ctx, co, "t", id, r.ID, chs[0].ID, "https://example.org/again", "en"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("a revoked rendition was published again: %v", err)
	}
	if err := a.Testimonies.CloseTakedown(ctx, co, "t", tasks[0].ID, "Removed from the page; the host confirmed."); err != nil {
		t.Fatal(err)
	}
	pubs, _ := a.Testimonies.Publications(ctx, tenantID, id)
	if len(pubs) != 1 || pubs[0].Status != "taken_down" {
		t.Fatalf("publication after the takedown: %+v", pubs)
	}
}
