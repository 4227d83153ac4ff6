package family

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

var fuzzNow = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-03-21", "2026-02-30", "٢٠٢٦-٠٣-٢١", "1899-12-31", "2026-6-1", " 2026-06-15 ", "2026-06-16", "0000-00-00", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := ParseDate("d", "family.field.target_on", s, Earliest, fuzzNow)
		if err != nil {
			return
		}
		d, perr := time.Parse(time.DateOnly, out)
		if perr != nil || d.Before(Earliest) || d.After(day(fuzzNow)) || d.Format(time.DateOnly) != out {
			t.Fatalf("ParseDate(%q) = %q accepted a bad date", s, out)
		}
		if again, err := ParseDate("d", "family.field.target_on", out, Earliest, fuzzNow); err != nil || again != out {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", s, out, again, err)
		}
	})
}

// cleanText is what every accepted free-text field must be.
func cleanText(t *testing.T, name, s string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
		t.Fatalf("%s %q: invalid or untrimmed", name, s)
	}
	for _, r := range s {
		if (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) || isBidiControl(r) {
			t.Fatalf("%s %q holds %U", name, s, r)
		}
	}
}

// FuzzRelativeForm feeds form bodies to the relative forms' parsers and the
// validation behind them: what is accepted is always a known enum, a real date not in
// the future, and clean text.
func FuzzRelativeForm(f *testing.F) {
	for _, s := range []string{
		"relation=parent&stance=hostile&name=Um+Ali&recorded_on=2026-01-02",
		"relation=clan_elder&stance=unknown&name=%D8%B3&community=Raqqa&contact=%2B44%0A7700",
		"relation=Parent&stance=HOSTILE&name=x",
		"relation=sibling&stance=neutral&name=x&recorded_on=2026-06-16",
		"relation=sibling&stance=neutral&name=a%E2%80%AEb",
		"relation=cousin&stance=supportive&name=x&clear_contact=1&contact=&version=3",
		"%zz", "relation=&stance=", "",
	} {
		f.Add(s)
	}
	s := &Service{now: func() time.Time { return fuzzNow }}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in := relativeInputFromForm(form)
		v, err := s.normalize(version{relation: Relation(in.Relation), stance: Stance(in.Stance), community: in.Community, recordedOn: in.RecordedOn, Details: in.Details})
		if err == nil {
			if !slices.Contains(Relations, v.relation) || !slices.Contains(StanceValues, v.stance) {
				t.Fatalf("accepted %q / %q", v.relation, v.stance)
			}
			d, perr := time.Parse(time.DateOnly, v.recordedOn)
			if perr != nil || d.After(day(fuzzNow)) || d.Before(Earliest) {
				t.Fatalf("accepted recorded_on %q", v.recordedOn)
			}
			if v.Name == "" {
				t.Fatal("accepted an empty name")
			}
			cleanText(t, "name", v.Name, false)
			cleanText(t, "community", v.community, false)
			cleanText(t, "community_role", v.CommunityRole, false)
			cleanText(t, "contact", v.Contact, true)
			cleanText(t, "notes", v.Notes, true)
		}
		// The edit form: a blank sealed field keeps its value, a box clears it.
		ch := relativeChangeFromForm(form)
		if ch.Name != nil && strings.TrimSpace(*ch.Name) == "" {
			t.Fatal("a blank name would replace the recorded one")
		}
		for _, x := range []struct {
			name string
			p    *string
		}{{"contact", ch.Contact}, {"notes", ch.Notes}, {"community_role", ch.CommunityRole}} {
			cleared := form.Get("clear_"+x.name) != ""
			switch {
			case cleared && (x.p == nil || *x.p != ""):
				t.Fatalf("clear_%s did not clear", x.name)
			case !cleared && x.p != nil && strings.TrimSpace(*x.p) == "":
				t.Fatalf("a blank %s would clear the recorded one", x.name)
			}
		}
	})
}

// FuzzMilestoneForm: accepted milestones have a known kind and status, real dates, and
// an achieved date exactly when achieved.
func FuzzMilestoneForm(f *testing.F) {
	for _, s := range []string{
		"kind=housing&target_on=2026-09-01&status=planned&note=flat",
		"kind=work&target_on=2026-01-01&status=achieved",
		"kind=work&target_on=2026-01-01&status=achieved&achieved_on=2026-07-01",
		"kind=work&target_on=2026-01-01&status=missed&achieved_on=2026-02-01",
		"kind=health&target_on=2060-01-01",
		"kind=Family&target_on=2026-01-01", "",
	} {
		f.Add(s)
	}
	s := &Service{now: func() time.Time { return fuzzNow }}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in := milestoneInputFromForm(form)
		m, err := s.normalizeMilestone(milestoneFields{kind: MilestoneKind(in.Kind), targetOn: in.TargetOn, achievedOn: in.AchievedOn, status: MilestoneStatus(in.Status), note: in.Note}, true)
		if err != nil {
			return
		}
		if !slices.Contains(MilestoneKinds, m.kind) || !slices.Contains(MilestoneStatuses, m.status) {
			t.Fatalf("accepted %q / %q", m.kind, m.status)
		}
		if _, err := time.Parse(time.DateOnly, m.targetOn); err != nil {
			t.Fatalf("accepted target %q", m.targetOn)
		}
		if (m.status == StatusAchieved) != (m.achievedOn != "") {
			t.Fatalf("status %s with achieved date %q", m.status, m.achievedOn)
		}
		if m.achievedOn != "" {
			d, err := time.Parse(time.DateOnly, m.achievedOn)
			if err != nil || d.After(day(fuzzNow)) {
				t.Fatalf("accepted achieved date %q", m.achievedOn)
			}
		}
		cleanText(t, "note", m.note, true)
		ch := milestoneChangeFromForm(form)
		if form.Get("clear_note") != "" && (ch.Note == nil || *ch.Note != "") {
			t.Fatal("clear_note did not clear")
		}
	})
}
