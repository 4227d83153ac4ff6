package assessment

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"

	"inoculate/internal/platform/i18n"
)

// Kind is one of the three kinds of assessment.
type Kind string

const (
	KindRisk      Kind = "reengagement_risk"
	KindReadiness Kind = "readiness_to_speak"
	KindThreat    Kind = "retaliation_threat"
)

// Kinds lists the kinds in the order pages show them.
var Kinds = []Kind{KindReadiness, KindRisk, KindThreat}

// ParseKind returns the kind with the given slug, or false.
func ParseKind(s string) (Kind, bool) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// Level is a graded judgement: re-engagement risk is low, moderate or high;
// retaliation threat may also be critical.
type Level string

const (
	LevelLow      Level = "low"
	LevelModerate Level = "moderate"
	LevelHigh     Level = "high"
	LevelCritical Level = "critical"
)

// Rank orders levels: low 1 … critical 4; an unknown level ranks 0.
func (l Level) Rank() int {
	switch l {
	case LevelLow:
		return 1
	case LevelModerate:
		return 2
	case LevelHigh:
		return 3
	case LevelCritical:
		return 4
	}
	return 0
}

// ThreatLevels are the levels a retaliation threat assessment may give.
var ThreatLevels = []Level{LevelLow, LevelModerate, LevelHigh, LevelCritical}

// Scale says how an item is scored.
type Scale int

const (
	// Graded items score 0 (none) to 3 (strong).
	Graded Scale = iota
	// Presence items score 0 (absent) or 1 (present).
	Presence
)

// Max is the highest score of the scale.
func (s Scale) Max() int {
	if s == Presence {
		return 1
	}
	return 3
}

// Item is one structured question of an assessment. The items are the program's
// own, written for this software: they are not taken from any published or
// proprietary instrument.
type Item struct {
	Key        string // stable; stored with the scores, "ideology.justifies_violence"
	Domain     string // groups items on the form
	Scale      Scale
	Protective bool // a protective factor: its score lowers the risk
	RedFlag    bool // scored 3, it makes the risk at least high whatever else
}

// Instrument is a kind's item list, versioned so that stored scores stay readable
// if the list changes later.
type Instrument struct {
	Kind    Kind
	Version string
	Domains []string
	Items   []Item
	// Validity period in days: the default, and the limits an author may choose within.
	DefaultDays, MinDays, MaxDays int
}

var riskInstrument = Instrument{
	Kind: KindRisk, Version: "inoculate-risk-1",
	Domains:     []string{"ideology", "ties", "grievance", "circumstances", "protective"},
	DefaultDays: 90, MinDays: 14, MaxDays: 180,
	Items: []Item{
		{Key: "ideology.justifies_violence", Domain: "ideology", RedFlag: true},
		{Key: "ideology.group_identity", Domain: "ideology"},
		{Key: "ideology.seeks_propaganda", Domain: "ideology"},
		{Key: "ties.former_members", Domain: "ties", RedFlag: true},
		{Key: "ties.online_networks", Domain: "ties"},
		{Key: "ties.relatives_in_movement", Domain: "ties"},
		{Key: "grievance.injustice", Domain: "grievance"},
		{Key: "grievance.humiliation", Domain: "grievance"},
		{Key: "grievance.revenge", Domain: "grievance", RedFlag: true},
		{Key: "circumstances.isolation", Domain: "circumstances"},
		{Key: "circumstances.housing_income", Domain: "circumstances"},
		{Key: "circumstances.distress", Domain: "circumstances"},
		{Key: "circumstances.substance_use", Domain: "circumstances"},
		{Key: "protective.family_support", Domain: "protective", Protective: true},
		{Key: "protective.occupation", Domain: "protective", Protective: true},
		{Key: "protective.distance_from_network", Domain: "protective", Protective: true},
		{Key: "protective.program_engagement", Domain: "protective", Protective: true},
		{Key: "protective.new_relationships", Domain: "protective", Protective: true},
		{Key: "protective.critical_reflection", Domain: "protective", Protective: true},
	},
}

var readinessInstrument = Instrument{
	Kind: KindReadiness, Version: "inoculate-readiness-1",
	Domains:     []string{"readiness"},
	DefaultDays: 90, MinDays: 14, MaxDays: 180,
	Items: []Item{
		{Key: "readiness.emotional_stability", Domain: "readiness"},
		{Key: "readiness.narrative_coherence", Domain: "readiness"},
		{Key: "readiness.risk_understanding", Domain: "readiness"},
		{Key: "readiness.willingness", Domain: "readiness"},
		{Key: "readiness.media_preparation", Domain: "readiness"},
	},
}

var threatInstrument = Instrument{
	Kind: KindThreat, Version: "inoculate-threat-1",
	Domains:     []string{"threat"},
	DefaultDays: 30, MinDays: 7, MaxDays: 90,
	Items: []Item{
		{Key: "threat.direct_threats", Domain: "threat", Scale: Presence},
		{Key: "threat.identity_known", Domain: "threat", Scale: Presence},
		{Key: "threat.location_known", Domain: "threat", Scale: Presence},
		{Key: "threat.relatives_within_reach", Domain: "threat", Scale: Presence},
		{Key: "threat.public_profile", Domain: "threat", Scale: Presence},
	},
}

// InstrumentFor returns the item list of kind k.
func InstrumentFor(k Kind) Instrument {
	switch k {
	case KindRisk:
		return riskInstrument
	case KindReadiness:
		return readinessInstrument
	default:
		return threatInstrument
	}
}

// DomainItems returns the instrument's items of domain d, in order.
func (in Instrument) DomainItems(d string) []Item {
	var out []Item
	for _, it := range in.Items {
		if it.Domain == d {
			out = append(out, it)
		}
	}
	return out
}

// Scores maps item keys to their scores.
type Scores map[string]int

// Risk thresholds on the net score (risk items minus protective factors): our own
// cut-offs, chosen so that a few strong risk items without protective factors reach
// moderate and most of the risk domains together reach high.
const (
	riskModerateFrom = 8
	riskHighFrom     = 16
)

// ScoreRisk returns the net score (sum of risk items minus the sum of protective
// factors, never below 0) and the level. A red-flag item scored 3 makes the level
// high whatever the protective factors: they cannot offset an open wish for revenge.
func ScoreRisk(s Scores) (int, Level) {
	risk, protect, flag := 0, 0, false
	for _, it := range riskInstrument.Items {
		v := s[it.Key]
		if it.Protective {
			protect += v
			continue
		}
		risk += v
		if it.RedFlag && v >= 3 {
			flag = true
		}
	}
	net := max(risk-protect, 0)
	level := LevelLow
	switch {
	case flag || net >= riskHighFrom:
		level = LevelHigh
	case net >= riskModerateFrom:
		level = LevelModerate
	}
	return net, level
}

// readyFrom is the lowest score every readiness item needs ("adequate").
const readyFrom = 2

// ScoreReadiness returns the total and whether the person is ready to speak: every
// item at least adequate, since one weak area (say, no grasp of the risks) is
// enough to make a public appearance unsafe.
func ScoreReadiness(s Scores) (int, bool) {
	total, ready := 0, true
	for _, it := range readinessInstrument.Items {
		v := s[it.Key]
		total += v
		if v < readyFrom {
			ready = false
		}
	}
	return total, ready
}

// ScoreThreat returns how many threat indicators are present.
func ScoreThreat(s Scores) int {
	n := 0
	for _, it := range threatInstrument.Items {
		n += s[it.Key]
	}
	return n
}

// maxScoreDigits bounds the text of one score: "3" is all a valid one needs.
const maxScoreDigits = 2

var errBadScore = errors.New("bad score")

func scoreErr(item, msg string) error {
	return invalid("item."+item, "assessment.error.item_score", msg, i18n.Key("assessment.item."+item))
}

// ParseFormScores reads the item scores of kind k from a posted form, where each item
// is a field "item.<key>": a graded item must hold one of 0…3; a presence item is a
// checkbox, present when "1" or "on" and absent when missing, empty or "0". Any other
// "item.*" field is refused, so a crafted form cannot smuggle in extra keys.
func ParseFormScores(k Kind, form url.Values) (Scores, error) {
	in := InstrumentFor(k)
	known := make(map[string]Item, len(in.Items))
	for _, it := range in.Items {
		known[it.Key] = it
	}
	for name := range form {
		if key, ok := strings.CutPrefix(name, "item."); ok {
			if _, ok := known[key]; !ok {
				return nil, invalid("", "assessment.error.unknown_item", "unknown item "+strconv.Quote(key))
			}
		}
	}
	out := make(Scores, len(in.Items))
	for _, it := range in.Items {
		vals := form["item."+it.Key]
		if len(vals) > 1 {
			return nil, scoreErr(it.Key, "item "+it.Key+" has more than one score")
		}
		v := ""
		if len(vals) == 1 {
			v = strings.TrimSpace(vals[0])
		}
		if it.Scale == Presence {
			switch v {
			case "", "0":
				out[it.Key] = 0
			case "1", "on":
				out[it.Key] = 1
			default:
				return nil, scoreErr(it.Key, "item "+it.Key+" must be present or absent")
			}
			continue
		}
		n, err := parseScore(v, it.Scale.Max())
		if err != nil {
			return nil, scoreErr(it.Key, "item "+it.Key+" needs a score from 0 to 3")
		}
		out[it.Key] = n
	}
	return out, nil
}

func parseScore(v string, hi int) (int, error) {
	if v == "" || len(v) > maxScoreDigits {
		return 0, errBadScore
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, errBadScore
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > hi {
		return 0, errBadScore
	}
	return n, nil
}

// ParseJSONScores reads the item scores of kind k from a JSON object of item key to
// integer score. Every item is required (no checkbox convention in the API), each
// score must be an integer within the item's scale, and unknown or duplicated keys
// are refused.
func ParseJSONScores(k Kind, raw []byte) (Scores, error) {
	in := InstrumentFor(k)
	known := make(map[string]Item, len(in.Items))
	for _, it := range in.Items {
		known[it.Key] = it
	}
	bad := invalid("items", "assessment.error.items_json", "items must be an object of item keys to whole-number scores")
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, bad
	}
	out := make(Scores, len(in.Items))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bad
		}
		key, _ := tok.(string)
		it, ok := known[key]
		if !ok {
			return nil, invalid("items", "assessment.error.unknown_item", "unknown item "+strconv.Quote(key))
		}
		if _, dup := out[key]; dup {
			return nil, scoreErr(key, "item "+key+" appears twice")
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, bad
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, scoreErr(key, "item "+key+" needs a whole-number score")
		}
		n, err := parseScore(num.String(), it.Scale.Max())
		if err != nil {
			return nil, scoreErr(key, "item "+key+" needs a score from 0 to "+strconv.Itoa(it.Scale.Max()))
		}
		out[key] = n
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, bad
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad
	}
	for _, it := range in.Items {
		if _, ok := out[it.Key]; !ok {
			return nil, scoreErr(it.Key, "item "+it.Key+" is missing")
		}
	}
	return out, nil
}

// checkScores validates scores built in code (the service's own input): exactly the
// instrument's items, each within its scale.
func checkScores(k Kind, s Scores) error {
	in := InstrumentFor(k)
	if len(s) != len(in.Items) {
		for key := range s {
			if !hasItem(in, key) {
				return invalid("items", "assessment.error.unknown_item", "unknown item "+strconv.Quote(key))
			}
		}
	}
	for _, it := range in.Items {
		v, ok := s[it.Key]
		if !ok {
			return scoreErr(it.Key, "item "+it.Key+" is missing")
		}
		if v < 0 || v > it.Scale.Max() {
			return scoreErr(it.Key, "item "+it.Key+" is out of range")
		}
	}
	return nil
}

func hasItem(in Instrument, key string) bool {
	for _, it := range in.Items {
		if it.Key == key {
			return true
		}
	}
	return false
}
