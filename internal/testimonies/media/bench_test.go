package media

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

var benchInput = flag.String("protect.bench", "", "recording to protect once, printing throughput (bench/protect.sh)")

// TestProtectThroughput runs Protect with its defaults (faces filled, voice kept and
// re-encoded) on the file given by -protect.bench and prints seconds of video per second.
// bench/protect.sh runs it beside a plain ffmpeg re-encode of the same file.
func TestProtectThroughput(t *testing.T) {
	if *benchInput == "" {
		t.Skip("no -protect.bench file given: run bench/protect.sh")
	}
	requireTools(t)
	out := filepath.Join(t.TempDir(), "protected.mp4")
	start := time.Now()
	report, err := Protect(context.Background(), *benchInput, out, ProtectOptions{Audio: AudioKeep}, nil)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	fmt.Printf("protect: %d frames %dx%d, %d detections, %d boxes drawn on %d frames\n",
		report.Frames, report.Width, report.Height, report.Detections, report.BoxesDrawn, report.FramesWithFaces)
	fmt.Printf("protect_video_seconds=%.3f protect_wall_seconds=%.3f\n", report.Duration.Seconds(), elapsed.Seconds())
}
