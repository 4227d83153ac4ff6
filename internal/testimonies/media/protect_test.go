package media

import (
	"context"
	"image"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// gateDetector is the detector the release gate uses.
func gateDetector(t testing.TB) *PigoDetector {
	t.Helper()
	d, err := NewPigoCheckDetector()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// faceRegion is the inner part of the face image (eyes to mouth, cheek to cheek) at time at,
// in the test clip's pixels.
func faceRegion(at float64) image.Rectangle {
	x, y := facePosition(at)
	return image.Rect(x+45, y+70, x+faceWidth-45, y+faceHeight-40)
}

// regionLuma is the mean and the maximum brightness of a region of a gray frame.
func regionLuma(gray []byte, width int, r image.Rectangle) (mean float64, maxLuma byte) {
	sum := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			v := gray[y*width+x]
			sum += int(v)
			maxLuma = max(maxLuma, v)
		}
	}
	return float64(sum) / float64(r.Dx()*r.Dy()), maxLuma
}

func TestProtectFillsTheFaceOnEveryFrame(t *testing.T) {
	f := testMedia(t)
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "protected.mp4")
	voice := filepath.Join(t.TempDir(), "voice.wav")
	if err := Revoice(ctx, "I was with them. I saw what they did, and I left.", "en", voice); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls []time.Duration
	report, err := Protect(ctx, f.original, out, ProtectOptions{Audio: AudioReplace, ReplacementAudio: voice},
		func(done, total time.Duration) {
			mu.Lock()
			calls = append(calls, done)
			mu.Unlock()
		})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report: %+v", report)
	frames := clipSeconds * clipRate
	if report.Frames != frames || report.Width != clipWidth || report.Height != clipHeight {
		t.Errorf("frames %d at %dx%d, want %d at %dx%d", report.Frames, report.Width, report.Height, frames, clipWidth, clipHeight)
	}
	// The detector finds the face on (nearly) every frame, and tracking covers the rest.
	if report.Detections < frames*9/10 {
		t.Errorf("face detected %d times in %d frames", report.Detections, frames)
	}
	if report.FramesWithFaces != frames {
		t.Errorf("boxes drawn on %d of %d frames", report.FramesWithFaces, frames)
	}
	if len(report.Tracks) == 0 || report.Tracks[0].From != 0 {
		t.Errorf("tracks %+v: the face is there from the first frame", report.Tracks)
	}
	if len(calls) == 0 || calls[len(calls)-1] != report.Duration {
		t.Errorf("progress calls %v, the last should be the whole %v", calls, report.Duration)
	}

	// Pixels: where the face was, the rendition is black; the original is not.
	for _, at := range []float64{0.2, 1.5, 2.5, 3.7, 4.8} {
		region := faceRegion(at)
		origMean, _ := regionLuma(decodeGray(t, f.original, at, clipWidth, clipHeight), clipWidth, region)
		mean, maxLuma := regionLuma(decodeGray(t, out, at, clipWidth, clipHeight), clipWidth, region)
		if maxLuma > 24 || origMean < 60 {
			t.Errorf("at %.1fs face region: rendition mean %.0f max %d (want black), original mean %.0f", at, mean, maxLuma, origMean)
		}
	}

	// The release gate's check on the exact output: no face, no metadata, no encoder string.
	findings, err := CheckOutput(ctx, out, DefaultAllowlist(), gateDetector(t), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !findings.Clean() || findings.FramesChecked < 24 {
		t.Errorf("protected rendition: %d frames checked, findings %+v", findings.FramesChecked, findings)
	}
	// The same check on the original finds the face all along, and its metadata.
	orig, err := CheckOutput(ctx, f.original, DefaultAllowlist(), gateDetector(t), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(orig.Faces) < orig.FramesChecked*9/10 {
		t.Errorf("original: faces on %d of %d sampled frames", len(orig.Faces), orig.FramesChecked)
	}

	// The voice is the replacement, as long as the picture.
	info, err := Probe(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := info.Audio()
	v, _ := info.Video()
	if !ok || a.Codec != "aac" || v.Codec != "h264" {
		t.Fatalf("streams %+v", info.Streams)
	}
	if d := a.Duration - v.Duration; math.Abs(d.Seconds()) > 0.1 {
		t.Errorf("audio %v, video %v", a.Duration, v.Duration)
	}
}

func TestCheckOutputFlagsMetadata(t *testing.T) {
	f := testMedia(t)
	findings, err := CheckOutput(context.Background(), f.original, DefaultAllowlist(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	flagged := map[string]string{}
	for _, m := range findings.Metadata {
		flagged[m.Where+" "+m.Key] = m.Value
	}
	for _, want := range []string{"format title", "format location", "format comment", "format encoder", "stream 0 (video) encoder"} {
		if _, ok := flagged[want]; !ok {
			t.Errorf("%s not flagged; findings %+v", want, findings.Metadata)
		}
	}
	if flagged["format location"] != clipLocation {
		t.Errorf("location value %q", flagged["format location"])
	}
	for _, m := range findings.Metadata {
		if m.Key == "handler_name" || m.Key == "major_brand" {
			t.Errorf("allowed tag flagged: %+v", m)
		}
	}
}

// TestCheckOutputFlagsCoverArt: a face can hide in an audio file's cover picture, which no
// frame check sees.
func TestCheckOutputFlagsCoverArt(t *testing.T) {
	requireTools(t)
	face, _ := filepath.Abs(filepath.Join("testdata", "face.jpg"))
	path := makeFile(t, "covered.mp3", "-f", "lavfi", "-i", "sine=f=440:d=1", "-i", face,
		"-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-c:v", "copy", "-disposition:v", "attached_pic")
	info, err := Probe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := info.Video(); ok {
		t.Errorf("cover art taken for a video: %+v", info.Streams)
	}
	findings, err := CheckOutput(context.Background(), path, DefaultAllowlist(), gateDetector(t), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(findings.Problems, "\n"), "attached picture") {
		t.Errorf("cover art not flagged: %+v", findings)
	}
}

// TestStreamCopyIsNotEnough: `-map_metadata -1 -c copy` drops the tags but leaves x264's
// settings in the stream and FFmpeg's version in the container; the check says so.
func TestStreamCopyIsNotEnough(t *testing.T) {
	f := testMedia(t)
	copied := filepath.Join(t.TempDir(), "copied.mp4")
	if err := ffmpeg(context.Background(), "-i", f.original, "-map_metadata", "-1", "-c", "copy", copied); err != nil {
		t.Fatal(err)
	}
	findings, err := CheckOutput(context.Background(), copied, DefaultAllowlist(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(findings.Problems, "\n")
	if !strings.Contains(text, "x264 - core") || !strings.Contains(text, "Lavf") {
		t.Errorf("stream copy: problems %q", findings.Problems)
	}
	for _, m := range findings.Metadata {
		if m.Key == "title" || m.Key == "location" {
			t.Errorf("-map_metadata -1 should have dropped %s", m.Key)
		}
	}
}

// blindSpell is pigo made blind for a stretch of frames, standing for a face the detector
// misses (turned away, badly lit) for longer than tracking bridges. It counts calls, so it
// needs Workers: 1.
type blindSpell struct {
	FaceDetector
	from, to int // frame numbers, counted by calls
	calls    int
}

func (b *blindSpell) Detect(img *image.Gray) []Box {
	n := b.calls
	b.calls++
	if n >= b.from && n < b.to {
		return nil
	}
	return b.FaceDetector.Detect(img)
}

// TestGateCatchesMissedFaceAndReviewerBoxCoversIt: when the detector misses the face for a
// second and a half, tracking cannot bridge it and the release check finds the face on those
// frames; a reviewer's added box for that time range covers it.
func TestGateCatchesMissedFaceAndReviewerBoxCoversIt(t *testing.T) {
	f := testMedia(t)
	ctx := context.Background()
	pigo, err := NewPigoDetector()
	if err != nil {
		t.Fatal(err)
	}
	const blindFrom, blindTo = 40, 80 // 1.6 s to 3.2 s
	opts := ProtectOptions{Preset: "ultrafast", Audio: AudioKeep, Workers: 1, Detector: &blindSpell{FaceDetector: pigo, from: blindFrom, to: blindTo}}
	missed := filepath.Join(t.TempDir(), "missed.mp4")
	report, err := Protect(ctx, f.original, missed, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if report.CarriedBoxes == 0 || report.FramesWithFaces >= report.Frames {
		t.Errorf("report %+v: tracking should carry a few frames, not all", report)
	}
	findings, err := CheckOutput(ctx, missed, DefaultAllowlist(), gateDetector(t), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings.Faces) == 0 {
		t.Fatal("the check found no face on a rendition with the face left unfilled for 1.6 s")
	}
	for _, face := range findings.Faces {
		if face.At < time.Duration(blindFrom)*time.Second/clipRate || face.At >= time.Duration(blindTo)*time.Second/clipRate {
			t.Errorf("face reported at %v, outside the blind stretch", face.At)
		}
	}

	// The reviewer draws one box over the face's path in that time (source pixels).
	x0, _ := facePosition(1.5)
	x1, _ := facePosition(3.3)
	opts.Detector = &blindSpell{FaceDetector: pigo, from: blindFrom, to: blindTo}
	opts.ExtraBoxes = []ExtraBox{{From: 1500 * time.Millisecond, To: 3300 * time.Millisecond,
		Box: Box{X: x0 - 20, Y: 90, W: x1 - x0 + faceWidth + 40, H: faceHeight + 200}}}
	fixed := filepath.Join(t.TempDir(), "fixed.mp4")
	report, err = Protect(ctx, f.original, fixed, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if report.ManualBoxes != 45 || report.FramesWithFaces != report.Frames {
		t.Errorf("report %+v: want 45 manual boxes and every frame covered", report)
	}
	findings, err = CheckOutput(ctx, fixed, DefaultAllowlist(), gateDetector(t), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !findings.Clean() {
		t.Errorf("with the reviewer's box: %+v", findings)
	}
	// The original voice was kept, re-encoded.
	info, err := Probe(ctx, fixed)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := info.Audio(); !ok || a.Codec != "aac" {
		t.Errorf("kept audio: %+v", info.Streams)
	}
}

func TestProtectBlackoutWithoutAudio(t *testing.T) {
	f := testMedia(t)
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "silhouette.mp4")
	report, err := Protect(ctx, f.original, out, ProtectOptions{Blackout: true, Preset: "ultrafast"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if report.Frames != clipSeconds*clipRate || report.Detections != 0 || report.Audio != AudioRemove {
		t.Errorf("report %+v", report)
	}
	info, err := Probe(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := info.Audio(); ok || len(info.Streams) != 1 {
		t.Errorf("streams %+v: want the picture alone", info.Streams)
	}
	for _, at := range []float64{0.5, 2.5, 4.5} {
		_, maxLuma := regionLuma(decodeGray(t, out, at, clipWidth, clipHeight), clipWidth, image.Rect(0, 0, clipWidth, clipHeight))
		if maxLuma > 24 {
			t.Errorf("at %.1fs brightest pixel %d, want black", at, maxLuma)
		}
	}
	findings, err := CheckOutput(ctx, out, DefaultAllowlist(), gateDetector(t), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !findings.Clean() {
		t.Errorf("blackout: %+v", findings)
	}
}

func TestProtectRefusesBadOptionsAndLeavesNothing(t *testing.T) {
	f := testMedia(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.mp4")
	for name, opts := range map[string]ProtectOptions{
		"replace without audio": {Audio: AudioReplace},
		"box ends before start": {ExtraBoxes: []ExtraBox{{From: time.Second, To: 0, Box: Box{0, 0, 10, 10}}}},
		"empty box":             {ExtraBoxes: []ExtraBox{{From: 0, To: time.Second}}},
		"negative margin":       {Margin: -1},
	} {
		if _, err := Protect(context.Background(), f.original, out, opts, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A replacement that is not a WAV file fails in ffmpeg, and no partial output remains.
	opts := ProtectOptions{Audio: AudioReplace, ReplacementAudio: f.original, Preset: "ultrafast"}
	if _, err := Protect(context.Background(), f.original, out, opts, nil); err == nil {
		t.Error("an MP4 as replacement voice was accepted")
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*")); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestProtectCancelled(t *testing.T) {
	f := testMedia(t)
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	_, err := Protect(ctx, f.original, filepath.Join(dir, "out.mp4"), ProtectOptions{Preset: "ultrafast"},
		func(done, total time.Duration) { cancel() })
	if err == nil {
		t.Error("a cancelled run succeeded")
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*")); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestRevoiceLines: each line is spoken from its start, silence between, the track exactly as
// long as asked, and a line that runs long pushes the next one later.
func TestRevoiceLines(t *testing.T) {
	requireTools(t)
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "timed.wav")
	lines := []Line{
		{Start: 3 * time.Second, Text: "I left."},
		{Start: 500 * time.Millisecond, Text: "Hello."},
	}
	rep, err := RevoiceLines(ctx, ESpeak{}, lines, "en", 5*time.Second, out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lines != 2 || rep.Late != 0 || rep.Cut {
		t.Errorf("report %+v", rep)
	}
	info, err := Probe(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if d := info.Duration - 5*time.Second; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("duration %v, want 5s", info.Duration)
	}
	pcm, err := speechPCM(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	loud := func(from, to float64) bool {
		for i := int(from * revoiceRate); i < int(to*revoiceRate); i++ {
			if v := int16(pcm[2*i]) | int16(pcm[2*i+1])<<8; v > 1000 || v < -1000 {
				return true
			}
		}
		return false
	}
	if loud(0, 0.5) || !loud(0.5, 1.5) || loud(2.2, 3) || !loud(3, 4) {
		t.Errorf("speech not where the lines are: [0,0.5) %v [0.5,1.5) %v [2.2,3) %v [3,4) %v",
			loud(0, 0.5), loud(0.5, 1.5), loud(2.2, 3), loud(3, 4))
	}

	// A long first line pushes the second; the track is cut at its length.
	lines = []Line{{Start: 0, Text: "This sentence takes well over a second to say out loud."}, {Start: time.Second, Text: "Next."}}
	rep, err = RevoiceLines(ctx, ESpeak{}, lines, "en", 2*time.Second, out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Late != 1 || rep.Drift <= 0 || !rep.Cut {
		t.Errorf("report %+v", rep)
	}
}

func TestRevoice(t *testing.T) {
	requireTools(t)
	ctx := context.Background()
	dir := t.TempDir()
	for lang, text := range map[string]string{
		"en": "-v I left in the spring.", // a leading dash is text, not an option
		"ar": "تركتهم في الربيع.",
	} {
		out := filepath.Join(dir, lang+".wav")
		if err := Revoice(ctx, text, lang, out); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		info, err := Probe(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := info.Audio(); !ok || info.Duration < 500*time.Millisecond || a.Codec != "pcm_s16le" {
			t.Errorf("%s: %+v", lang, info)
		}
	}
	if err := Revoice(ctx, "x", "xx", filepath.Join(dir, "x.wav")); err == nil {
		t.Error("an unknown language was spoken")
	}
	if err := Revoice(ctx, "  ", "en", filepath.Join(dir, "y.wav")); err == nil {
		t.Error("empty text was spoken")
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Fatal("espeak-ng vanished")
	}
}
