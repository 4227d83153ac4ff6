package app_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"inoculate/internal/platform/authz"
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
	work := filepath.Join(d.dataDir, "work")
	entries, _ := os.ReadDir(work)
	if len(entries) != 0 {
		t.Errorf("the work directory still holds %d entries", len(entries))
	}
}
