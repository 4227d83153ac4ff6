package assessment_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	. "inoculate/internal/returnees/assessment"
)

var day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// signed is a signed-off assessment of kind k dated on, valid for days.
func signed(k Kind, on time.Time, days int) Assessment {
	return Assessment{ID: fmt.Sprintf("%s-%d", k, on.Unix()), Kind: k, AssessedOn: on, ValidityDays: days,
		CreatedAt: on.Add(9 * time.Hour), AuthorID: "author", ReviewerID: "reviewer", ReviewedAt: on.Add(10 * time.Hour), Decision: DecisionSignedOff}
}

func ready(on time.Time) Assessment { a := signed(KindReadiness, on, 90); a.Ready = true; return a }
func risk(on time.Time, l Level) Assessment {
	a := signed(KindRisk, on, 90)
	a.Level = l
	return a
}
func threat(on time.Time, l Level) Assessment {
	a := signed(KindThreat, on, 30)
	a.Level = l
	return a
}

func checks(c Clearance) map[string]string {
	out := map[string]string{}
	for _, r := range c.Reasons {
		out[r.Check] = strings.TrimPrefix(r.Key, "assessment.check.")
	}
	return out
}

func TestEvaluate(t *testing.T) {
	at := day0.AddDate(0, 0, 10)
	base := []Assessment{ready(day0), risk(day0, LevelModerate), threat(day0, LevelLow)}
	pending := func(a Assessment) Assessment {
		a.Decision, a.ReviewerID, a.ReviewedAt = DecisionNone, "", time.Time{}
		return a
	}
	returned := func(a Assessment) Assessment { a.Decision = DecisionReturned; return a }
	notReady := ready(day0.AddDate(0, 0, 1))
	notReady.Ready = false

	cases := []struct {
		name    string
		in      Inputs
		at      time.Time
		cleared bool
		want    map[string]string // check → outcome key suffix
	}{
		{"all good", Inputs{Assessments: base}, at, true,
			map[string]string{"readiness": "readiness_ok", "risk": "risk_ok", "threat": "threat_ok", "safety_plan": "plan_not_needed"}},
		{"nothing at all", Inputs{}, at, false,
			map[string]string{"readiness": "readiness_missing", "risk": "risk_missing", "threat": "threat_missing", "safety_plan": "plan_needed_unknown"}},
		{"threat expired after 30 days", Inputs{Assessments: base}, day0.AddDate(0, 0, 30), false,
			map[string]string{"readiness": "readiness_ok", "threat": "threat_expired", "safety_plan": "plan_needed_unknown"}},
		{"last day of validity still counts", Inputs{Assessments: base}, day0.AddDate(0, 0, 30).Add(-time.Millisecond), true, nil},
		{"risk at the default threshold", Inputs{Assessments: []Assessment{ready(day0), risk(day0, LevelHigh), threat(day0, LevelLow)}}, at, false,
			map[string]string{"risk": "risk_too_high"}},
		{"stricter threshold", Inputs{Assessments: base, RiskThreshold: LevelModerate}, at, false,
			map[string]string{"risk": "risk_too_high"}},
		{"low risk under a strict threshold", Inputs{Assessments: []Assessment{ready(day0), risk(day0, LevelLow), threat(day0, LevelLow)}, RiskThreshold: LevelModerate}, at, true, nil},
		{"high threat without a plan", Inputs{Assessments: []Assessment{ready(day0), risk(day0, LevelLow), threat(day0, LevelHigh)}}, at, false,
			map[string]string{"threat": "threat_ok", "safety_plan": "plan_needed"}},
		{"critical threat with a plan", Inputs{Assessments: []Assessment{ready(day0), risk(day0, LevelLow), threat(day0, LevelCritical)}, SafetyPlanSince: day0}, at, true,
			map[string]string{"safety_plan": "plan_ok"}},
		{"plan made after the moment asked about", Inputs{Assessments: []Assessment{ready(day0), risk(day0, LevelLow), threat(day0, LevelHigh)}, SafetyPlanSince: at.Add(time.Hour)}, at, false, nil},
		{"pending readiness", Inputs{Assessments: []Assessment{pending(ready(day0)), risk(day0, LevelLow), threat(day0, LevelLow)}}, at, false,
			map[string]string{"readiness": "readiness_pending"}},
		{"a newer pending assessment governs", Inputs{Assessments: append(slices.Clone(base), pending(ready(day0.AddDate(0, 0, 5))))}, at, false,
			map[string]string{"readiness": "readiness_pending"}},
		{"a returned newer assessment is ignored", Inputs{Assessments: append(slices.Clone(base), returned(ready(day0.AddDate(0, 0, 5))))}, at, true, nil},
		{"a newer not-ready assessment governs", Inputs{Assessments: append(slices.Clone(base), notReady)}, at, false,
			map[string]string{"readiness": "readiness_not_ready"}},
		{"sign-off after the moment asked about", Inputs{Assessments: base}, day0.Add(9*time.Hour + 30*time.Minute), false,
			map[string]string{"readiness": "readiness_pending"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Evaluate(c.in, c.at)
			if got.Cleared != c.cleared {
				t.Fatalf("cleared = %v, want %v; reasons %+v", got.Cleared, c.cleared, got.Reasons)
			}
			if len(got.Reasons) != 4 {
				t.Fatalf("%d reasons, want all 4 checks", len(got.Reasons))
			}
			outcome := checks(got)
			for check, want := range c.want {
				if outcome[check] != want {
					t.Errorf("check %s = %s, want %s", check, outcome[check], want)
				}
			}
			for _, r := range got.Reasons {
				if r.Text == "" || strings.HasPrefix(r.Text, "assessment.") || strings.Contains(r.Text, "{") {
					t.Errorf("reason %s has no proper English text: %q", r.Key, r.Text)
				}
			}
			if got.Cleared && len(got.Failing()) != 0 {
				t.Errorf("cleared with failing reasons %v", got.Failing())
			}
		})
	}
}

func TestReasonTextNamesLevels(t *testing.T) {
	c := Evaluate(Inputs{Assessments: []Assessment{ready(day0), risk(day0, LevelHigh), threat(day0, LevelCritical)}}, day0.AddDate(0, 0, 1))
	var risk, plan string
	for _, r := range c.Reasons {
		switch r.Check {
		case CheckRisk:
			risk = r.Text
		case CheckSafetyPlan:
			plan = r.Text
		}
	}
	if !strings.Contains(risk, "High") || !strings.Contains(plan, "Critical") {
		t.Fatalf("reasons do not name the levels: %q / %q", risk, plan)
	}
}

// Property tests over random inputs. The generator mixes kinds, dates, decisions,
// levels and readiness answers around a fixed moment, so that every branch of
// Evaluate is reached often.

var allLevels = []Level{LevelLow, LevelModerate, LevelHigh, LevelCritical}

func randomAssessment(r *rand.Rand, i int) Assessment {
	k := Kinds[r.IntN(len(Kinds))]
	on := day0.AddDate(0, 0, r.IntN(120))
	a := Assessment{ID: fmt.Sprint("a", i), Kind: k, AssessedOn: on, ValidityDays: 7 + r.IntN(120),
		CreatedAt: on.Add(time.Duration(r.IntN(48)) * time.Hour), AuthorID: "author"}
	switch r.IntN(4) {
	case 0: // pending
	case 1:
		a.Decision, a.ReviewerID, a.ReviewedAt = DecisionReturned, "rev", a.CreatedAt.Add(time.Duration(1+r.IntN(72))*time.Hour)
	default:
		a.Decision, a.ReviewerID, a.ReviewedAt = DecisionSignedOff, "rev", a.CreatedAt.Add(time.Duration(1+r.IntN(72))*time.Hour)
	}
	switch k {
	case KindReadiness:
		a.Ready = r.IntN(3) > 0
	case KindRisk:
		a.Level = allLevels[r.IntN(3)]
	case KindThreat:
		a.Level = allLevels[r.IntN(4)]
	}
	return a
}

func randomInputs(r *rand.Rand) (Inputs, time.Time) {
	in := Inputs{}
	for i := range r.IntN(9) {
		in.Assessments = append(in.Assessments, randomAssessment(r, i))
	}
	// Often give each kind a good, signed-off assessment, so cleared cases occur.
	if r.IntN(2) == 0 {
		on := day0.AddDate(0, 0, r.IntN(60))
		in.Assessments = append(in.Assessments, ready(on), risk(on, allLevels[r.IntN(2)]), threat(on, allLevels[r.IntN(4)]))
	}
	if r.IntN(2) == 0 {
		in.SafetyPlanSince = day0.AddDate(0, 0, r.IntN(100))
	}
	in.RiskThreshold = []Level{"", LevelModerate, LevelHigh}[r.IntN(3)]
	at := day0.AddDate(0, 0, r.IntN(150)).Add(time.Duration(r.IntN(24)) * time.Hour)
	return in, at
}

// worsen applies one change that can only remove a reason to clear someone.
func worsen(r *rand.Rand, in Inputs, at time.Time) (Inputs, string) {
	out := in
	out.Assessments = slices.Clone(in.Assessments)
	n := len(out.Assessments)
	switch op := r.IntN(7); {
	case op == 0 && n > 0:
		i := r.IntN(n)
		out.Assessments[i].Decision, out.Assessments[i].ReviewedAt = DecisionNone, time.Time{}
		return out, "unsign an assessment"
	case op == 1 && n > 0:
		i := r.IntN(n)
		a := &out.Assessments[i]
		switch a.Kind {
		case KindReadiness:
			a.Ready = false
		default:
			if a.Level.Rank() < 4 {
				a.Level = allLevels[a.Level.Rank()]
			}
		}
		return out, "make an assessment worse"
	case op == 2:
		out.SafetyPlanSince = time.Time{}
		return out, "remove the safety plan"
	case op == 3:
		out.RiskThreshold = LevelModerate
		return out, "tighten the threshold"
	case op == 4:
		// A new assessment, not yet signed off, dated after everything else.
		a := randomAssessment(r, 99)
		a.AssessedOn, a.CreatedAt = Day(at), at.Add(-time.Minute)
		a.Decision, a.ReviewerID, a.ReviewedAt = DecisionNone, "", time.Time{}
		out.Assessments = append(out.Assessments, a)
		return out, "add a pending assessment"
	case op == 5 && n > 0:
		i := r.IntN(n)
		out.Assessments[i].ValidityDays = 0
		return out, "shorten a validity to nothing"
	default:
		// A newer, signed-off "not ready" readiness assessment.
		a := ready(Day(at))
		a.CreatedAt, a.ReviewedAt, a.Ready = at.Add(-2*time.Minute), at.Add(-time.Minute), false
		a.ID = "newest"
		out.Assessments = append(out.Assessments, a)
		return out, "add a newer not-ready assessment"
	}
}

func TestEvaluateProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	clearedSeen := 0
	for i := range 20000 {
		in, at := randomInputs(r)
		got := Evaluate(in, at)

		// Cleared exactly when every check passes; all four checks always listed.
		allOK := len(got.Reasons) == 4
		for _, rs := range got.Reasons {
			allOK = allOK && rs.OK
		}
		if got.Cleared != allOK {
			t.Fatalf("case %d: cleared %v but checks %+v", i, got.Cleared, got.Reasons)
		}
		if got.Cleared {
			clearedSeen++
			// Expired assessments never count: whatever cleared the person is current.
			for _, k := range Kinds {
				a, ok := Governing(in.Assessments, k, at)
				if !ok || a.StatusAt(at) != StatusCurrent || !at.Before(a.ExpiresOn()) || a.Decision != DecisionSignedOff {
					t.Fatalf("case %d: cleared but %s is %+v at %v", i, k, a, at)
				}
			}
		}

		// Adding a failing condition never turns cleared on.
		worse, what := worsen(r, in, at)
		if Evaluate(worse, at).Cleared && !got.Cleared {
			t.Fatalf("case %d: %s turned cleared on", i, what)
		}

		// Expired assessments never count: with all of them expired, nobody is cleared.
		expired := in
		expired.Assessments = slices.Clone(in.Assessments)
		for j := range expired.Assessments {
			a := &expired.Assessments[j]
			a.ValidityDays = max(0, int(Day(at).Sub(a.AssessedOn).Hours()/24))
		}
		if c := Evaluate(expired, at); c.Cleared {
			t.Fatalf("case %d: cleared with every assessment expired: %+v", i, c.Reasons)
		}

		// Evaluate is a function of its inputs: the order of assessments does not matter.
		shuffled := in
		shuffled.Assessments = slices.Clone(in.Assessments)
		r.Shuffle(len(shuffled.Assessments), func(a, b int) {
			shuffled.Assessments[a], shuffled.Assessments[b] = shuffled.Assessments[b], shuffled.Assessments[a]
		})
		if again := Evaluate(shuffled, at); again.Cleared != got.Cleared || fmt.Sprint(checks(again)) != fmt.Sprint(checks(got)) {
			t.Fatalf("case %d: order changed the answer", i)
		}
	}
	if clearedSeen < 200 {
		t.Fatalf("the generator cleared only %d cases: the properties were barely exercised", clearedSeen)
	}
}
