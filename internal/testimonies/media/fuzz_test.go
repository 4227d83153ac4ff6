package media

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseProbe: ParseProbe never panics on any input, and what it accepts is within the
// bounds the limits rely on.
func FuzzParseProbe(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "probe-*.json"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"format":{"duration":"N/A","size":"12"},"streams":[{"codec_type":"video","width":1920,"height":1080,"avg_frame_rate":"0/0","r_frame_rate":"30000/1001","side_data_list":[{"rotation":-90}]}]}`))
	f.Add([]byte(`{"streams":[{"codec_type":"audio","sample_rate":"48000","channels":2,"duration":"3.5","tags":{"rotate":"270"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseProbe(data)
		if err != nil {
			return
		}
		if info.Duration < 0 || info.Duration > maxProbeDuration || info.Size < 0 || len(info.Streams) > maxStreams {
			t.Fatalf("out of bounds: %+v", info)
		}
		for _, s := range info.Streams {
			if s.Width < 0 || s.Height < 0 || s.Width > 1<<16 || s.Height > 1<<16 || s.FrameRate.Float() < 0 ||
				s.Rotation < 0 || s.Rotation >= 360 || s.Duration < 0 || s.SampleRate < 0 {
				t.Fatalf("stream out of bounds: %+v", s)
			}
		}
		_ = CheckLimits(info, DefaultLimits())
	})
}

// FuzzSniff: Sniff never panics, names only the accepted kinds, and its answer depends on the
// first SniffLen bytes alone.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{
		"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "\x00\x00\x00\x18ftypheic",
		"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "\x1a\x45\xdf\xa3\x42\x82\x88matrosk",
		"RIFF\x24\x08\x00\x00WAVEfmt ", "ID3\x03\x00", "\xff\xfb\x90\x64", "OggS\x00", "fLaC", "<html>",
	} {
		f.Add([]byte(s))
	}
	accepted := map[string]bool{KindMP4: true, KindMOV: true, KindM4A: true, KindWebM: true, KindMatroska: true,
		KindWAV: true, KindMP3: true, KindOgg: true, KindFLAC: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		kind, ok := Sniff(data)
		if ok != accepted[kind] || (!ok && kind != "") {
			t.Fatalf("Sniff = %q, %v", kind, ok)
		}
		if len(data) > SniffLen {
			if k2, ok2 := Sniff(data[:SniffLen]); k2 != kind || ok2 != ok {
				t.Fatalf("Sniff depends on bytes past SniffLen: %q vs %q", kind, k2)
			}
		}
	})
}
