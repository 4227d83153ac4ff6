package survey

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
)

func TestParseAnswers(t *testing.T) {
	in := Current()
	for _, tc := range []struct {
		form   string
		phase  Phase
		want   map[string]int
		errFld string
	}{
		{form: "phase=before&better_life=1&talk_trusted=5", phase: Before, want: map[string]int{"better_life": 1, "talk_trusted": 5}},
		{form: "phase=after&speaker_believable=4&joiners_regret=skip&recruiters_truth=", phase: After, want: map[string]int{"speaker_believable": 4}},
		// An after-only item in a "before" answer is dropped, not refused.
		{form: "phase=before&speaker_believable=4&better_life=2", phase: Before, want: map[string]int{"better_life": 2}},
		{form: "phase=after&better_life=3&name=Abu+Zzyzx&hl=ar", phase: After, want: map[string]int{"better_life": 3}},
		{form: "phase=before&speaker_believable=4", errFld: ""},
		{form: "phase=after", errFld: ""},
		{form: "better_life=3", errFld: "phase"},
		{form: "phase=before&phase=after&better_life=3", errFld: "phase"},
		{form: "phase=during&better_life=3", errFld: "phase"},
		{form: "phase=after&better_life=6", errFld: "better_life"},
		{form: "phase=after&better_life=0", errFld: "better_life"},
		{form: "phase=after&better_life=%2B3", errFld: "better_life"},
		{form: "phase=after&better_life=03", errFld: "better_life"},
		{form: "phase=after&better_life=%EF%BC%93", errFld: "better_life"}, // a full-width 3
		{form: "phase=after&better_life=3&better_life=3", errFld: "better_life"},
	} {
		v, _ := url.ParseQuery(tc.form)
		ph, got, err := in.ParseAnswers(v)
		if tc.want != nil {
			if err != nil || ph != tc.phase || !maps.Equal(got, tc.want) {
				t.Errorf("%s: %s %v %v", tc.form, ph, got, err)
			}
			continue
		}
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != tc.errFld || e.MsgKey == "" {
			t.Errorf("%s: got %v, want a refusal of %q", tc.form, err, tc.errFld)
		}
	}
	many := url.Values{"phase": {"after"}, "better_life": {"3"}}
	for i := range maxFormFields {
		many.Set("x"+strings.Repeat("y", i), "1")
	}
	if _, _, err := in.ParseAnswers(many); !errs.Is(err, errs.Invalid) {
		t.Fatal("a stuffed form was read")
	}
}

// FuzzParseAnswers: whatever the form, ParseAnswers either refuses it or returns a
// phase and answers that Check accepts: known items asked in that phase, 1..5.
func FuzzParseAnswers(f *testing.F) {
	for _, s := range []string{
		"phase=before&better_life=1&talk_trusted=5",
		"phase=after&speaker_believable=4&joiners_regret=skip",
		"phase=before&speaker_believable=4&better_life=2",
		"phase=after&better_life=6",
		"phase=after&better_life=3&better_life=4",
		"phase=after&recruiters_truth=%00",
		"phase=after&__proto__=3&better_life=-1",
		"phase=AFTER&better_life=3",
		"",
		"%zz&phase=after&talk_trusted=2",
	} {
		f.Add(s)
	}
	in := Current()
	f.Fuzz(func(t *testing.T, s string) {
		v, _ := url.ParseQuery(s) // what a form body gives, malformed pairs dropped
		ph, answers, err := in.ParseAnswers(v)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("%q: refusal of kind %v", s, errs.KindOf(err))
			}
			return
		}
		if len(answers) == 0 {
			t.Fatalf("%q: accepted without answers", s)
		}
		for id, a := range answers {
			it, ok := in.Item(id)
			if !ok || a < ScaleMin || a > ScaleMax || !it.AskedIn(ph) {
				t.Fatalf("%q: answer %s=%d", s, id, a)
			}
		}
		if err := in.Check(Submission{Phase: ph, Language: "en", Answers: answers}); err != nil {
			t.Fatalf("%q: parsed answers fail Check: %v", s, err)
		}
	})
}

// Every item and scale point has its words in every language, and item ids are
// unique and fit to be form field names.
func TestInstrumentCatalogue(t *testing.T) {
	b, err := i18n.Load(i18n.Fragment{Name: "survey", FS: Messages})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v1"} {
		in, ok := InstrumentVersion(v)
		if !ok {
			t.Fatalf("no instrument %s", v)
		}
		seen := map[string]bool{}
		for _, it := range in.Items {
			if seen[it.ID] || it.ID == "phase" || strings.Trim(it.ID, "abcdefghijklmnopqrstuvwxyz_") != "" {
				t.Errorf("item id %q", it.ID)
			}
			seen[it.ID] = true
			if it.Hope != HopeUp && it.Hope != HopeDown {
				t.Errorf("item %s has no hoped direction", it.ID)
			}
			for _, lang := range i18n.Supported() {
				if !b.For(lang).Has(it.Key()) {
					t.Errorf("%s: no %s", lang, it.Key())
				}
			}
		}
	}
	// Current returns a copy: a caller cannot change the instrument.
	c := Current()
	c.Items[0].ID = "changed"
	if Current().Items[0].ID == "changed" {
		t.Fatal("Current shares its items")
	}
}

func TestCodes(t *testing.T) {
	if len(CodeAlphabet) != 32 || strings.ContainsAny(CodeAlphabet, "0O1lI") {
		t.Fatalf("alphabet %q", CodeAlphabet)
	}
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 2000 {
		c, err := newCode()
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := NormalizeCode(c); !ok || n != c {
			t.Fatalf("new code %q does not normalise to itself", c)
		}
		if seen[c] {
			t.Fatalf("code %s twice in 2000", c)
		}
		seen[c] = true
		for _, r := range c {
			counts[r]++
		}
	}
	// 16000 characters over 32: each about 500; a character never drawn, or drawn
	// twice as often, means the mapping is broken.
	for _, r := range CodeAlphabet {
		if counts[r] < 300 || counts[r] > 700 {
			t.Fatalf("character %c drawn %d times in 16000", r, counts[r])
		}
	}
	for in, want := range map[string]string{" abcd2345 ": "ABCD2345", "ABCD2345": "ABCD2345"} {
		if got, ok := NormalizeCode(in); !ok || got != want {
			t.Errorf("NormalizeCode(%q) = %q %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "ABCD234", "ABCD23456", "ABCD2340", "ABCDO234", "ABCD 234", "ABCDÉ23"} {
		if _, ok := NormalizeCode(bad); ok {
			t.Errorf("NormalizeCode(%q) accepted", bad)
		}
	}
}

// The PNG holds the QR code of the URL, module for module, inside a white quiet zone.
func TestQRCode(t *testing.T) {
	const u = "https://inoculate.example/s/ABCD2345"
	b, err := QRCode(u)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	code, err := qr.Encode(u, qr.Q, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Bounds().Dx()
	side := (n + 2*qrQuietZone) * qrModule
	if img.Bounds() != image.Rect(0, 0, side, side) {
		t.Fatalf("size %v, want %d", img.Bounds(), side)
	}
	dark := func(x, y int) bool { r, _, _, _ := img.At(x, y).RGBA(); return r < 0x8000 }
	for y := -qrQuietZone; y < n+qrQuietZone; y++ {
		for x := -qrQuietZone; x < n+qrQuietZone; x++ {
			want := false
			if x >= 0 && y >= 0 && x < n && y < n {
				r, _, _, _ := code.At(x, y).RGBA()
				want = r < 0x8000
			}
			px, py := (x+qrQuietZone)*qrModule+qrModule/2, (y+qrQuietZone)*qrModule+qrModule/2
			if dark(px, py) != want {
				t.Fatalf("module %d,%d: dark %v, want %v", x, y, !want, want)
			}
		}
	}
	if len(b) > 4096 {
		t.Errorf("QR PNG is %d bytes", len(b))
	}
}

func TestSuppress(t *testing.T) {
	h := Count{Suppressed: true}
	for _, tc := range []struct {
		in   []int
		want []Count
	}{
		{[]int{0, 5, 9, 0, 6}, []Count{{}, {N: 5}, {N: 9}, {}, {N: 6}}},
		// One small cell: the smallest other non-zero cell goes with it.
		{[]int{3, 5, 9, 0, 6}, []Count{h, h, {N: 9}, {}, {N: 6}}},
		// Two small cells: their sum is known, their split is not.
		{[]int{3, 1, 9, 0, 6}, []Count{h, h, {N: 9}, {}, {N: 6}}},
		{[]int{0, 0, 7, 0, 0}, []Count{{}, {}, {N: 7}, {}, {}}},
	} {
		if got := suppress(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("suppress(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// Results never show a count from 1 to MinCell−1, whatever the answers.
func TestAggregateNeverShowsSmallCounts(t *testing.T) {
	items := Current().Items
	for seed := range 300 {
		var raw []response
		n := seed % 40
		for i := range n {
			ph := Phases[(i*7+seed)%2]
			a := map[string]int{}
			for j, it := range items {
				if (i+j+seed)%3 != 0 && it.AskedIn(ph) {
					a[it.ID] = 1 + (i*j+seed+i*i)%5
				}
			}
			raw = append(raw, response{version: "v1", phase: ph, answers: a})
		}
		res := aggregate("e", raw)
		b, _ := json.Marshal(res)
		var generic any
		_ = json.Unmarshal(b, &generic)
		walkCounts(t, generic, func(n float64) {
			if n > 0 && n < MinCell {
				t.Fatalf("seed %d: a count of %v shown in %s", seed, n, b)
			}
		})
		for _, it := range res.Items {
			for _, ip := range []ItemPhase{it.Before, it.After} {
				hidden := 0
				for _, c := range ip.Distribution {
					if c.Suppressed {
						hidden++
					}
				}
				if hidden == 1 {
					t.Fatalf("seed %d: a single hidden cell in %+v", seed, ip)
				}
				if it.HasMeans && hidden > 0 {
					t.Fatalf("seed %d: hidden cells beside a mean in %+v", seed, it)
				}
			}
		}
	}
}

func walkCounts(t *testing.T, v any, fn func(float64)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "n" {
				fn(e.(float64))
			}
			walkCounts(t, e, fn)
		}
	case []any:
		for _, e := range x {
			walkCounts(t, e, fn)
		}
	}
}
