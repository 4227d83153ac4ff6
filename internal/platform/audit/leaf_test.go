package audit

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// hostile field values (P28): line breaks, control characters, bidi overrides and
// isolates, JSON and HTML metacharacters, non-BMP characters.
var hostile = []string{
	"", "a\nb", "\r\n{\"seq\":0}", "\x00\x01\x1f\x7f", "\u202egnp.exe", "\u2066x\u2069\u200f",
	"\u2028\u2029", "<script>&amp;", `"quoted" \back\slash`, "🔥 نص عربي", "\ufeff\ufffd",
}

func TestLeafRoundTripHostile(t *testing.T) {
	for i, s := range hostile {
		e := Entry{Time: time.Date(2026, 1, 2, 3, 4, 5, 6007, time.UTC), TenantID: s, ActorID: s, Role: s,
			Action: s, Object: s, Result: s, RequestID: s}
		checkLeafRoundTrip(t, int64(i), e)
	}
}

func checkLeafRoundTrip(t *testing.T, seq int64, e Entry) {
	t.Helper()
	b, err := encodeLeaf(seq, e)
	if err != nil {
		t.Fatalf("encode %+v: %v", e, err)
	}
	for _, c := range b {
		if c < 0x20 { // JSON escapes C0 controls; a newline can never split a record
			t.Fatalf("leaf holds a raw control byte %#x: %q", c, b)
		}
	}
	r, err := decodeLeaf(b)
	if err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	if r.Seq != seq || !r.Time.Equal(e.Time) || r.Time.Location() != time.UTC {
		t.Fatalf("seq/time changed: %+v vs %d %v", r, seq, e.Time)
	}
	r.Time = e.Time
	if r.Entry != e {
		t.Fatalf("round trip changed the entry:\n got %+q\nwant %+q", r.Entry, e)
	}
}

func TestLeafRejectsInvalidUTF8(t *testing.T) {
	_, err := encodeLeaf(0, Entry{Time: time.Now(), Object: "a\xffb"})
	if !errors.Is(err, ErrInvalidEntry) {
		t.Fatalf("invalid UTF-8 accepted: %v", err)
	}
}

func TestDecodeLeafIsStrict(t *testing.T) {
	good, err := encodeLeaf(3, Entry{Time: time.Unix(1, 0).UTC(), Action: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{
		string(good) + " ",
		`{"SEQ":3,"time":"1970-01-01T00:00:01Z","tenant":"","actor":"","role":"","action":"x","object":"","result":"","request_id":""}`,
		`{"seq":3,"time":"1970-01-01T01:00:01+01:00","tenant":"","actor":"","role":"","action":"x","object":"","result":"","request_id":""}`,
		`{"seq":3,"time":"1970-01-01T00:00:01Z","tenant":"","actor":"","role":"","action":"y","action":"x","object":"","result":"","request_id":""}`,
		`{"seq":3,"time":"1970-01-01T00:00:01Z","tenant":"","actor":"","role":"","action":"x","object":"","result":"","request_id":"","extra":1}`,
		`{"seq":3,"time":"1970-01-01T00:00:01Z","tenant":"","actor":"","role":"","action":"\u0078","object":"","result":"","request_id":""}`,
	} {
		if _, err := decodeLeaf([]byte(b)); err == nil {
			t.Errorf("non-canonical leaf accepted: %s", b)
		}
	}
}

func FuzzLeafRoundTrip(f *testing.F) {
	for i, s := range hostile {
		f.Add(int64(i), int64(i)*1e15+7, s, s, s, s, s, s, s)
	}
	f.Fuzz(func(t *testing.T, seq, ns int64, tenant, actor, role, action, object, result, req string) {
		e := Entry{Time: time.Unix(0, ns).UTC(), TenantID: tenant, ActorID: actor, Role: role,
			Action: action, Object: object, Result: result, RequestID: req}
		valid := true
		for _, s := range []string{tenant, actor, role, action, object, result, req} {
			valid = valid && utf8.ValidString(s)
		}
		if !valid {
			if _, err := encodeLeaf(seq, e); !errors.Is(err, ErrInvalidEntry) {
				t.Fatalf("invalid UTF-8 not refused: %v", err)
			}
			return
		}
		checkLeafRoundTrip(t, seq, e)
	})
}
