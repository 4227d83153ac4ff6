package media

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/errs"
)

func TestProbeTestClip(t *testing.T) {
	f := testMedia(t)
	info, err := Probe(context.Background(), f.original)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := info.Video()
	if !ok {
		t.Fatalf("no video stream in %+v", info)
	}
	if v.Codec != "h264" || v.Width != clipWidth || v.Height != clipHeight || v.FrameRate != (Rational{clipRate, 1}) {
		t.Errorf("video = %+v", v)
	}
	a, ok := info.Audio()
	if !ok || a.Codec != "aac" || a.Channels != 1 || a.SampleRate != 22050 {
		t.Errorf("audio = %+v, %v", a, ok)
	}
	if d := info.Duration - clipSeconds*time.Second; d < -100*time.Millisecond || d > 100*time.Millisecond {
		t.Errorf("duration %v, want about %ds", info.Duration, clipSeconds)
	}
	st, _ := os.Stat(f.original)
	if info.Size != st.Size() {
		t.Errorf("size %d, file has %d", info.Size, st.Size())
	}
	if info.Tags["title"] != clipTitle || info.Tags["location"] != clipLocation {
		t.Errorf("container tags = %v", info.Tags)
	}
}

// TestParseProbeRotation: a phone's portrait video is stored landscape with a display matrix
// (ffprobe 5.1 prints its rotation as side data; older files carry a "rotate" tag); the
// protected picture must be the upright one. ffmpeg 5.1 cannot write such a file, so the
// ffprobe output is given here.
func TestParseProbeRotation(t *testing.T) {
	for _, s := range []string{
		`{"streams":[{"codec_type":"video","width":1920,"height":1080,"side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]}]}`,
		`{"streams":[{"codec_type":"video","width":1920,"height":1080,"tags":{"rotate":"90"}}]}`,
	} {
		info, err := ParseProbe([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := info.Video()
		if w, h := v.DisplaySize(); w != 1080 || h != 1920 {
			t.Errorf("%s: rotation %d, display size %dx%d; want 1080x1920", s, v.Rotation, w, h)
		}
	}
}

func TestProbeRefusesOtherFormatsAndProtocols(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	png := filepath.Join(dir, "picture.mp4")
	page := filepath.Join(dir, "page.mp4")
	playlist := filepath.Join(dir, "list.mp4")
	must(t, os.WriteFile(page, []byte("<!doctype html><title>x</title><script>alert(1)</script>"), 0o600))
	// An HLS playlist would make a careless ffprobe fetch a URL.
	must(t, os.WriteFile(playlist, []byte("#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:1/x.ts\n"), 0o600))
	if err := ffmpeg(context.Background(), "-f", "lavfi", "-i", "color=s=16x16:d=1", "-frames:v", "1", "-f", "image2", "-c:v", "png", png); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{png, page, playlist, "-version", filepath.Join(dir, "missing.mp4")} {
		if _, err := Probe(context.Background(), path); err == nil {
			t.Errorf("Probe(%s) succeeded", filepath.Base(path))
		}
	}
}

func TestSniff(t *testing.T) {
	pad := func(b string) []byte { return append([]byte(b), make([]byte, 64)...) }
	cases := []struct {
		name  string
		first []byte
		kind  string
	}{
		{"mp4", pad("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), KindMP4},
		{"mp4 mp42", pad("\x00\x00\x00\x18ftypmp42"), KindMP4},
		{"quicktime", pad("\x00\x00\x00\x14ftypqt  "), KindMOV},
		{"m4a", pad("\x00\x00\x00\x20ftypM4A "), KindM4A},
		{"webm", pad("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"), KindWebM},
		{"matroska", pad("\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska"), KindMatroska},
		{"wav", pad("RIFF\x24\x08\x00\x00WAVEfmt "), KindWAV},
		{"mp3 id3", pad("ID3\x04\x00\x00\x00\x00\x00\x00"), KindMP3},
		{"mp3 frame", pad("\xff\xfb\x90\x64"), KindMP3},
		{"ogg", pad("OggS\x00\x02"), KindOgg},
		{"flac", pad("fLaC\x00\x00\x00\x22"), KindFLAC},

		{"html", pad("<!DOCTYPE html><html>"), ""},
		{"zip", pad("PK\x03\x04\x14\x00"), ""},
		{"elf", pad("\x7fELF\x02\x01\x01"), ""},
		{"windows exe", pad("MZ\x90\x00\x03"), ""},
		{"png", pad("\x89PNG\r\n\x1a\n"), ""},
		{"jpeg", pad("\xff\xd8\xff\xe0\x00\x10JFIF"), ""},
		{"heic", pad("\x00\x00\x00\x18ftypheic"), ""},
		{"avif", pad("\x00\x00\x00\x1cftypavif"), ""},
		{"pdf", pad("%PDF-1.7"), ""},
		{"avi", pad("RIFF\x24\x08\x00\x00AVI LIST"), ""},
		{"adts aac", pad("\xff\xf1\x50\x80"), ""},
		{"ebml unknown doctype", pad("\x1a\x45\xdf\xa3\x9f\x42\x82\x84evil"), ""},
		{"empty", nil, ""},
		{"short ftyp", []byte("\x00\x00\x00\x20ftyp"), ""},
	}
	for _, c := range cases {
		kind, ok := Sniff(c.first)
		if kind != c.kind || ok != (c.kind != "") {
			t.Errorf("%s: Sniff = %q, %v; want %q", c.name, kind, ok, c.kind)
		}
	}
}

// TestSniffRealFiles checks Sniff on files ffmpeg writes, so the tables above are not just
// what the test's author believed.
func TestSniffRealFiles(t *testing.T) {
	f := testMedia(t)
	tone := []string{"-f", "lavfi", "-i", "sine=f=440:d=1"}
	video := []string{"-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=1"}
	files := map[string]string{
		KindMP4:      f.original,
		KindWAV:      f.speech,
		KindM4A:      makeFile(t, "tone.m4a", append(tone, "-c:a", "aac")...),
		KindMP3:      makeFile(t, "tone.mp3", append(tone, "-c:a", "libmp3lame")...),
		KindOgg:      makeFile(t, "tone.ogg", append(tone, "-c:a", "libvorbis")...),
		KindFLAC:     makeFile(t, "tone.flac", tone...),
		KindWebM:     makeFile(t, "clip.webm", append(video, "-c:v", "libvpx", "-deadline", "realtime")...),
		KindMatroska: makeFile(t, "clip.mkv", append(video, "-c:v", "libx264", "-preset", "ultrafast")...),
		KindMOV:      makeFile(t, "clip.mov", append(video, "-c:v", "libx264", "-preset", "ultrafast")...),
	}
	for want, path := range files {
		head := make([]byte, SniffLen)
		file, err := os.Open(path)
		must(t, err)
		n, _ := file.Read(head)
		file.Close()
		if kind, ok := Sniff(head[:n]); !ok || kind != want {
			t.Errorf("%s: Sniff = %q, %v; want %q", filepath.Base(path), kind, ok, want)
		}
		// And Inspect accepts it whole.
		kind, _, err := Inspect(context.Background(), path, DefaultLimits())
		if err != nil || kind != want {
			t.Errorf("Inspect(%s) = %q, %v", filepath.Base(path), kind, err)
		}
	}
}

func TestInspectRefuses(t *testing.T) {
	f := testMedia(t)
	dir := t.TempDir()
	// A web page named like a video is refused by content, whatever its name.
	page := filepath.Join(dir, "testimony.mp4")
	must(t, os.WriteFile(page, []byte("<html><body>not a video</body></html>"), 0o600))
	// A file that starts like an MP4 but is not one is refused by ffprobe's disagreement.
	fake := filepath.Join(dir, "fake.mp4")
	must(t, os.WriteFile(fake, append([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isom"), make([]byte, 4096)...), 0o600))

	cases := []struct {
		name   string
		path   string
		limits Limits
		says   string
	}{
		{"html named .mp4", page, DefaultLimits(), "not a recording"},
		{"broken mp4", fake, DefaultLimits(), "cannot be read"},
		{"too big", f.original, Limits{MaxBytes: 1000}, "the limit is 1000 bytes"},
		{"too long", f.original, Limits{MaxDuration: 2 * time.Second}, "the limit is 2s"},
		{"too many pixels", f.original, Limits{MaxPixels: 1280*720 - 1}, "1280×720 pixels"},
		{"too many frames", f.original, Limits{MaxFPS: 24}, "25 frames per second"},
	}
	for _, c := range cases {
		_, _, err := Inspect(context.Background(), c.path, c.limits)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: err = %v; want Invalid saying %q", c.name, err, c.says)
		}
	}
	if _, _, err := Inspect(context.Background(), f.original, DefaultLimits()); err != nil {
		t.Errorf("the test clip is refused: %v", err)
	}
}

func TestCheckLimitsUnknownDuration(t *testing.T) {
	info := Info{Size: 10, Streams: []Stream{{Type: "audio"}}}
	if err := CheckLimits(info, Limits{MaxDuration: time.Hour}); !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown duration passed: %v", err)
	}
	if err := CheckLimits(Info{Duration: time.Second, Streams: []Stream{{Type: "data"}}}, DefaultLimits()); !errs.Is(err, errs.Invalid) {
		t.Errorf("a file of data streams passed: %v", err)
	}
	if err := CheckLimits(Info{Duration: time.Second, Streams: []Stream{{Type: "audio"}}}, DefaultLimits()); err != nil {
		t.Errorf("a one-second audio file failed: %v", err)
	}
}

func TestParseProbeRejects(t *testing.T) {
	for _, s := range []string{
		`{"format":{"duration":"-1"}}`,
		`{"format":{"duration":"NaN"}}`,
		`{"format":{"duration":"1e300"}}`,
		`{"format":{"size":"-5"}}`,
		`{"streams":[{"codec_type":"video","width":-1}]}`,
		`{"streams":[{"codec_type":"video","avg_frame_rate":"1/-2"}]}`,
		`{"streams":[{"codec_type":"video","side_data_list":[{"rotation":1e308}]}]}`,
		`{"streams":[{"codec_type":"audio","sample_rate":"x"}]}`,
		`[]`,
	} {
		if info, err := ParseProbe([]byte(s)); err == nil {
			t.Errorf("ParseProbe(%s) = %+v, want an error", s, info)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
