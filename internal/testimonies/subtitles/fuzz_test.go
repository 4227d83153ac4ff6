package subtitles

import (
	"bytes"
	"reflect"
	"testing"
)

var srtSeeds = []string{
	arabicEnglishSRT,
	"1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03.000 --> 00:00:04.000\n<i>World</i>\n",
	"00:00:01,000 --> 00:00:02,000\n{\\an8}<font color=red>x</font>\n3\n00:00:03,000 --> 00:00:04,000\n",
	"1\n00:00:01,000 --> 00:00:02,000\n<<i>i>x <font a--> y\n",
	"1\r00:01,000 --> 00:02,000\r42\r\r",
	"1\n00:00:05,000 --> 00:00:02,000\nbad\n",
	"1\n00:00:01,000 --> 00:00:02,000\n--<i>> <font x--<b>>\n",
}

var vttSeeds = []string{
	"WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n",
	"\uFEFFWEBVTT title\r\nKind: captions\r\n\r\nNOTE x\r\n\r\nid\r\n00:00:01.000 --> 00:00:02.000 align:start\r\n<v Ahmad>مرحبا</v> &amp; &lt;b&gt;\r\n",
	"WEBVTT\n\nSTYLE\n::cue{}\n\n00:01.000 --> 00:02.000\n<c.x>a</c><00:01.500>b &#10;&#10;c &#x20; &#0;\n",
	"WEBVTT\n00:01.000 --> 00:02.000\nx\n00:03.000 --> 00:04.000\ny --&gt; z\n",
	"WEBVTT\n\n00:01.000 --> 00:02.000\n1 < 2 &#xD;&#32;\n",
}

// FuzzParseSRT checks that ParseSRT never panics and that whatever it accepts survives being
// written as SRT and read back unchanged.
func FuzzParseSRT(f *testing.F) {
	for _, s := range srtSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		segs, err := ParseSRT(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteSRT(&out, segs); err != nil {
			t.Fatalf("parsed segments do not write: %v\n%q", err, segs)
		}
		again, err := ParseSRT(&out)
		if err != nil {
			t.Fatalf("written SRT does not parse: %v\n%q", err, out.String())
		}
		if !equalSegments(segs, again) {
			t.Fatalf("round trip changed segments:\n got %q\nwant %q", again, segs)
		}
		// Export to the other format must at least succeed and read back the same times.
		var vtt bytes.Buffer
		if err := WriteVTT(&vtt, segs); err != nil {
			t.Fatalf("WriteVTT: %v", err)
		}
		viaVTT, err := ParseVTT(&vtt)
		if err != nil || len(viaVTT) != len(segs) {
			t.Fatalf("SRT→VTT does not parse back: %v", err)
		}
	})
}

// FuzzParseVTT checks that ParseVTT never panics and that whatever it accepts survives being
// written as WebVTT and read back unchanged.
func FuzzParseVTT(f *testing.F) {
	for _, s := range vttSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		segs, err := ParseVTT(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteVTT(&out, segs); err != nil {
			t.Fatalf("parsed segments do not write: %v\n%q", err, segs)
		}
		again, err := ParseVTT(&out)
		if err != nil {
			t.Fatalf("written WebVTT does not parse: %v\n%q", err, out.String())
		}
		if !equalSegments(segs, again) {
			t.Fatalf("round trip changed segments:\n got %q\nwant %q", again, segs)
		}
		var srt bytes.Buffer
		if err := WriteSRT(&srt, segs); err != nil {
			t.Fatalf("WriteSRT: %v", err)
		}
		viaSRT, err := ParseSRT(&srt)
		if err != nil || len(viaSRT) != len(segs) {
			t.Fatalf("VTT→SRT does not parse back: %v", err)
		}
	})
}

func equalSegments(a, b []Segment) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}
