package assessment_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"testing"

	"inoculate/internal/platform/errs"
	"inoculate/internal/returnees/assessment"
)

// all scores every item of kind k with v (clamped to the item's scale).
func all(k assessment.Kind, v int) assessment.Scores {
	s := assessment.Scores{}
	for _, it := range assessment.InstrumentFor(k).Items {
		s[it.Key] = min(v, it.Scale.Max())
	}
	return s
}

func TestScoreRisk(t *testing.T) {
	none := all(assessment.KindRisk, 0)
	with := func(kv ...any) assessment.Scores {
		s := assessment.Scores{}
		for k, v := range none {
			s[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			s[kv[i].(string)] = kv[i+1].(int)
		}
		return s
	}
	cases := []struct {
		name  string
		s     assessment.Scores
		score int
		level assessment.Level
	}{
		{"nothing present", none, 0, assessment.LevelLow},
		{"a few risk items", with("ideology.group_identity", 2, "grievance.injustice", 2, "circumstances.isolation", 3), 7, assessment.LevelLow},
		{"moderate from 8", with("ideology.group_identity", 3, "grievance.injustice", 3, "circumstances.isolation", 2), 8, assessment.LevelModerate},
		{"protective factors offset", with("ideology.group_identity", 3, "grievance.injustice", 3, "circumstances.isolation", 2, "protective.family_support", 3), 5, assessment.LevelLow},
		{"never below zero", with("protective.family_support", 3, "protective.occupation", 3), 0, assessment.LevelLow},
		{"a red flag at 3 is high whatever else", with("grievance.revenge", 3, "protective.family_support", 3, "protective.occupation", 3), 0, assessment.LevelHigh},
		{"a red flag at 2 is not", with("grievance.revenge", 2), 2, assessment.LevelLow},
		{"everything at 3 without protection", all(assessment.KindRisk, 3), 21, assessment.LevelHigh},
	}
	// "everything at 3" includes the protective factors: 13×3 − 6×3 = 21.
	for _, c := range cases {
		score, level := assessment.ScoreRisk(c.s)
		if score != c.score || level != c.level {
			t.Errorf("%s: got %d %s, want %d %s", c.name, score, level, c.score, c.level)
		}
	}
}

func TestScoreReadiness(t *testing.T) {
	if n, ok := assessment.ScoreReadiness(all(assessment.KindReadiness, 2)); !ok || n != 10 {
		t.Fatalf("all adequate: %d %v", n, ok)
	}
	s := all(assessment.KindReadiness, 3)
	s["readiness.risk_understanding"] = 1
	if _, ok := assessment.ScoreReadiness(s); ok {
		t.Fatal("one weak item must make the person not ready")
	}
}

func TestInstrumentsAreOurOwnAndWellFormed(t *testing.T) {
	for _, k := range assessment.Kinds {
		in := assessment.InstrumentFor(k)
		seen := map[string]bool{}
		for _, it := range in.Items {
			if seen[it.Key] {
				t.Errorf("%s: duplicate item %s", k, it.Key)
			}
			seen[it.Key] = true
			if len(in.DomainItems(it.Domain)) == 0 {
				t.Errorf("%s: item %s in unknown domain %s", k, it.Key, it.Domain)
			}
		}
		if in.MinDays > in.DefaultDays || in.DefaultDays > in.MaxDays || in.Version == "" {
			t.Errorf("%s: bad validity limits or version", k)
		}
	}
}

func itemField(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && e.Kind == errs.Invalid {
		return e.Field
	}
	return "!" + strconv.Quote(err.Error())
}

func TestParseFormScores(t *testing.T) {
	full := url.Values{}
	for _, it := range assessment.InstrumentFor(assessment.KindReadiness).Items {
		full.Set("item."+it.Key, "2")
	}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range full {
			f[kk] = vv
		}
		if v == "\x00delete" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	if s, err := assessment.ParseFormScores(assessment.KindReadiness, full); err != nil || s["readiness.willingness"] != 2 || len(s) != 5 {
		t.Fatalf("full form: %v %v", s, err)
	}
	twice := with("item.readiness.willingness", "1")
	twice.Add("item.readiness.willingness", "2")
	bad := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"missing item", with("item.readiness.willingness", "\x00delete"), "item.readiness.willingness"},
		{"out of range", with("item.readiness.willingness", "4"), "item.readiness.willingness"},
		{"negative", with("item.readiness.willingness", "-1"), "item.readiness.willingness"},
		{"not a number", with("item.readiness.willingness", "two"), "item.readiness.willingness"},
		{"Arabic digit is not ours", with("item.readiness.willingness", "٢"), "item.readiness.willingness"},
		{"leading zeros", with("item.readiness.willingness", "002"), "item.readiness.willingness"},
		{"unknown item", with("item.ideology.group_identity", "1"), ""},
		{"twice", twice, "item.readiness.willingness"},
	}
	for _, c := range bad {
		_, err := assessment.ParseFormScores(assessment.KindReadiness, c.form)
		if err == nil || itemField(err) != c.field {
			t.Errorf("%s: got %v, want an invalid %q", c.name, err, c.field)
		}
	}
	// Presence items are checkboxes: absent means 0.
	s, err := assessment.ParseFormScores(assessment.KindThreat, url.Values{"item.threat.direct_threats": {"on"}, "notes": {"x"}})
	if err != nil || s["threat.direct_threats"] != 1 || s["threat.public_profile"] != 0 || len(s) != 5 {
		t.Fatalf("threat checkboxes: %v %v", s, err)
	}
	if _, err := assessment.ParseFormScores(assessment.KindThreat, url.Values{"item.threat.direct_threats": {"2"}}); err == nil {
		t.Fatal("a presence item accepted 2")
	}
}

func TestParseJSONScores(t *testing.T) {
	good, _ := json.Marshal(all(assessment.KindRisk, 1))
	if s, err := assessment.ParseJSONScores(assessment.KindRisk, good); err != nil || len(s) != 19 {
		t.Fatalf("good: %v %v", s, err)
	}
	for _, raw := range []string{
		``, `null`, `[]`, `{}`, `{"ideology.justifies_violence": 1}`,
		`{"ideology.justifies_violence": 1.5}`, `{"ideology.justifies_violence": "1"}`, `{"ideology.justifies_violence": 1e0}`,
		`{"nope": 1}`, string(good[:len(good)-1]) + `, "ideology.justifies_violence": 2}`, string(good) + `{}`,
		string(good[:len(good)-1]) + `, "ideology.justifies_violence": 2}`,
	} {
		if _, err := assessment.ParseJSONScores(assessment.KindRisk, []byte(raw)); !errs.Is(err, errs.Invalid) {
			t.Errorf("%q: got %v, want invalid", raw, err)
		}
	}
}

// checkParsed is what every accepted parse must satisfy: exactly the instrument's
// items, each within its scale.
func checkParsed(t *testing.T, k assessment.Kind, s assessment.Scores) {
	t.Helper()
	in := assessment.InstrumentFor(k)
	if len(s) != len(in.Items) {
		t.Fatalf("parsed %d scores for %d items: %v", len(s), len(in.Items), s)
	}
	for _, it := range in.Items {
		v, ok := s[it.Key]
		if !ok || v < 0 || v > it.Scale.Max() {
			t.Fatalf("item %s = %d (present %v)", it.Key, v, ok)
		}
	}
}

func FuzzParseFormScores(f *testing.F) {
	f.Add(uint8(0), "item.readiness.willingness=2&item.readiness.emotional_stability=3")
	f.Add(uint8(1), "item.ideology.justifies_violence=3&item.protective.occupation=0")
	f.Add(uint8(2), "item.threat.direct_threats=on&item.threat.public_profile=1&level=high")
	f.Add(uint8(2), "item.threat.direct_threats=%00&item.x=1")
	f.Fuzz(func(t *testing.T, kind uint8, query string) {
		k := assessment.Kinds[int(kind)%len(assessment.Kinds)]
		form, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		s, err := assessment.ParseFormScores(k, form)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("a bad form gave a non-invalid error: %v", err)
			}
			return
		}
		checkParsed(t, k, s)
	})
}

func FuzzParseJSONScores(f *testing.F) {
	for _, k := range assessment.Kinds {
		b, _ := json.Marshal(all(k, 1))
		f.Add(uint8(0), string(b))
	}
	f.Add(uint8(1), `{"readiness.willingness": 3, "readiness.willingness": 3}`)
	f.Add(uint8(2), `{"threat.direct_threats": 1e400}`)
	f.Fuzz(func(t *testing.T, kind uint8, raw string) {
		k := assessment.Kinds[int(kind)%len(assessment.Kinds)]
		s, err := assessment.ParseJSONScores(k, []byte(raw))
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("bad JSON gave a non-invalid error: %v", err)
			}
			return
		}
		checkParsed(t, k, s)
		// What was accepted is exactly what a plain decode sees.
		var plain map[string]int
		if err := json.Unmarshal([]byte(raw), &plain); err != nil || len(plain) != len(s) {
			t.Fatalf("accepted %q, which decodes to %v (%v)", raw, plain, err)
		}
		for key, v := range plain {
			if s[key] != v {
				t.Fatalf("item %s: parsed %d, JSON says %d", key, s[key], v)
			}
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+44 20 7946 0000", "٠١٢٣", "(0)1-2.3", "+", "++1", "\x00", "۰۱۲۳۴"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := assessment.NormalizePhone(s)
		if err != nil {
			return
		}
		for i, r := range out {
			if !(r >= '0' && r <= '9') && !(r == '+' && i == 0) {
				t.Fatalf("NormalizePhone(%q) = %q holds %q", s, out, r)
			}
		}
		if again, err := assessment.NormalizePhone(out); err != nil || again != out {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", s, out, again, err)
		}
	})
}
