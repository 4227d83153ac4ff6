package assessment

import (
	"cmp"
	"time"

	"inoculate/internal/platform/i18n"
)

// Decision is a reviewer's answer to an assessment.
type Decision string

const (
	DecisionNone      Decision = ""           // awaiting review
	DecisionSignedOff Decision = "signed_off" // a second person agrees: it counts
	DecisionReturned  Decision = "returned"   // sent back: it never counts
)

// Assessment is one dated, reviewed judgement about a returnee.
type Assessment struct {
	ID           string    `json:"id"`
	TenantID     string    `json:"-"`
	ReturneeID   string    `json:"returnee_id"`
	Kind         Kind      `json:"kind"`
	Instrument   string    `json:"instrument"`
	AssessedOn   time.Time `json:"-"`
	ValidityDays int       `json:"validity_days"`
	Scores       Scores    `json:"items"`
	Score        int       `json:"score"`
	Level        Level     `json:"level,omitempty"` // risk and threat
	Ready        bool      `json:"ready"`           // readiness
	AuthorID     string    `json:"author_id"`
	CreatedAt    time.Time `json:"created_at"`
	ReviewerID   string    `json:"reviewer_id,omitempty"`
	ReviewedAt   time.Time `json:"-"`
	Decision     Decision  `json:"decision"`
	HasNotes     bool      `json:"has_notes"`
	// Notes and ReviewNote are set only when opened (an audited read).
	Notes      string `json:"notes,omitempty"`
	ReviewNote string `json:"review_note,omitempty"`
}

// ExpiresOn is the first day the assessment no longer counts.
func (a Assessment) ExpiresOn() time.Time { return a.AssessedOn.AddDate(0, 0, a.ValidityDays) }

// Status is where an assessment stands at a moment.
type Status string

const (
	StatusPending  Status = "pending"  // awaiting sign-off by a second person
	StatusCurrent  Status = "current"  // signed off and within its validity period
	StatusExpired  Status = "expired"  // its validity period is over
	StatusReturned Status = "returned" // the reviewer sent it back
)

// decidedAt reports the review decision as it stood at at.
func (a Assessment) decidedAt(at time.Time) Decision {
	if a.Decision == DecisionNone || a.ReviewedAt.IsZero() || a.ReviewedAt.After(at) {
		return DecisionNone
	}
	return a.Decision
}

// StatusAt is the assessment's status at at.
func (a Assessment) StatusAt(at time.Time) Status {
	switch {
	case a.decidedAt(at) == DecisionReturned:
		return StatusReturned
	case !at.Before(a.ExpiresOn()):
		return StatusExpired
	case a.decidedAt(at) == DecisionNone:
		return StatusPending
	}
	return StatusCurrent
}

// DefaultRiskThreshold is the level a re-engagement risk must stay below when the
// tenant has not set its own: low and moderate pass, high does not.
const DefaultRiskThreshold = LevelHigh

// RiskThresholds are the thresholds a tenant may choose. Nothing more permissive
// than "below high" exists: a high risk never clears anyone.
var RiskThresholds = []Level{LevelModerate, LevelHigh}

// Inputs is everything "cleared to speak" depends on.
type Inputs struct {
	Assessments []Assessment // every assessment of the returnee, any kind, any order
	// SafetyPlanSince is when the returnee's first safety plan was saved; zero if none.
	SafetyPlanSince time.Time
	// RiskThreshold is the level re-engagement risk must stay below; "" means the default.
	RiskThreshold Level
}

// Reason is one check of "cleared to speak", passing or failing. Key is the catalogue
// key of the message, Args its arguments (level names as i18n keys, dates as text),
// Text the English message.
type Reason struct {
	Check string `json:"check"` // readiness, risk, threat, safety_plan
	Key   string `json:"key"`
	OK    bool   `json:"ok"`
	Text  string `json:"text"`
	Args  []any  `json:"-"`
}

// Clearance answers whether a returnee is cleared to speak, with every reason.
type Clearance struct {
	Cleared bool
	Reasons []Reason
}

// Failing returns the reasons that fail, in order.
func (c Clearance) Failing() []Reason {
	var out []Reason
	for _, r := range c.Reasons {
		if !r.OK {
			out = append(out, r)
		}
	}
	return out
}

// Checks of "cleared to speak", in the order they are shown.
const (
	CheckReadiness  = "readiness"
	CheckRisk       = "risk"
	CheckThreat     = "threat"
	CheckSafetyPlan = "safety_plan"
)

// Governing returns the assessment of kind k that speaks for the returnee at at: the
// latest by assessment date (then by recording time) among those recorded by then,
// leaving out the ones a reviewer returned. The latest governs even while it awaits
// review — a new "not ready" must stop a person at once, not after sign-off — so a
// pending one blocks clearance rather than letting an older one count.
func Governing(list []Assessment, k Kind, at time.Time) (Assessment, bool) {
	var best Assessment
	found := false
	for _, a := range list {
		if a.Kind != k || a.CreatedAt.After(at) || a.AssessedOn.After(at) || a.decidedAt(at) == DecisionReturned {
			continue
		}
		if !found || later(a, best) {
			best, found = a, true
		}
	}
	return best, found
}

func later(a, b Assessment) bool {
	if c := a.AssessedOn.Compare(b.AssessedOn); c != 0 {
		return c > 0
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c > 0
	}
	return cmp.Less(b.ID, a.ID)
}

func levelKey(l Level) i18n.Key { return i18n.Key("assessment.level." + string(l)) }

func date(t time.Time) string { return t.Format(time.DateOnly) }

// Reason arguments that are dates are time.Time values, so that each reader gets them
// in their own language's format; English() writes them as YYYY-MM-DD.

// Evaluate computes "cleared to speak" at at: a pure function of its inputs, so that
// it can be tested by properties and explained check by check. Cleared holds exactly
// when every check passes: readiness (the governing readiness assessment is signed
// off, current and says ready), risk (the governing risk assessment is signed off,
// current and below the threshold), threat (the governing threat assessment is signed
// off and current) and safety plan (needed when the threat is high or critical, and
// — failing safe — when the threat is not currently known).
func Evaluate(in Inputs, at time.Time) Clearance {
	threshold := in.RiskThreshold
	if threshold == "" {
		threshold = DefaultRiskThreshold
	}
	var rs []Reason
	add := func(check, key string, ok bool, args ...any) {
		rs = append(rs, Reason{Check: check, Key: "assessment.check." + key, OK: ok, Args: args})
	}

	// governed returns the current, signed-off assessment of kind k, or adds the
	// failing reason and returns false.
	governed := func(check string, k Kind) (Assessment, bool) {
		a, ok := Governing(in.Assessments, k, at)
		switch {
		case !ok:
			add(check, check+"_missing", false)
		case a.StatusAt(at) == StatusExpired:
			add(check, check+"_expired", false, a.ExpiresOn())
		case a.StatusAt(at) != StatusCurrent:
			add(check, check+"_pending", false)
		default:
			return a, true
		}
		return Assessment{}, false
	}

	if a, ok := governed(CheckReadiness, KindReadiness); ok {
		if a.Ready {
			add(CheckReadiness, "readiness_ok", true, a.ExpiresOn())
		} else {
			add(CheckReadiness, "readiness_not_ready", false)
		}
	}
	if a, ok := governed(CheckRisk, KindRisk); ok {
		if a.Level.Rank() > 0 && a.Level.Rank() < threshold.Rank() {
			add(CheckRisk, "risk_ok", true, levelKey(a.Level), levelKey(threshold))
		} else {
			add(CheckRisk, "risk_too_high", false, levelKey(a.Level), levelKey(threshold))
		}
	}
	threat, known := governed(CheckThreat, KindThreat)
	if known {
		if threat.Level.Rank() == 0 {
			// A level we do not know cannot be judged safe.
			known = false
			add(CheckThreat, "threat_pending", false)
		} else {
			add(CheckThreat, "threat_ok", true, levelKey(threat.Level), threat.ExpiresOn())
		}
	}
	hasPlan := !in.SafetyPlanSince.IsZero() && !in.SafetyPlanSince.After(at)
	switch {
	case known && threat.Level.Rank() < LevelHigh.Rank():
		add(CheckSafetyPlan, "plan_not_needed", true, levelKey(threat.Level))
	case known && hasPlan:
		add(CheckSafetyPlan, "plan_ok", true, levelKey(threat.Level))
	case known:
		add(CheckSafetyPlan, "plan_needed", false, levelKey(threat.Level))
	case hasPlan:
		add(CheckSafetyPlan, "plan_in_place", true)
	default:
		add(CheckSafetyPlan, "plan_needed_unknown", false)
	}

	c := Clearance{Cleared: true, Reasons: rs}
	for i := range c.Reasons {
		c.Reasons[i].Text = English(c.Reasons[i].Key, c.Reasons[i].Args...)
		if !c.Reasons[i].OK {
			c.Cleared = false
		}
	}
	return c
}
