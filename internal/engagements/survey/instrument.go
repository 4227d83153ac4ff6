package survey

import (
	"net/url"
	"slices"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
)

// Phase is when a respondent answers, as they say themselves.
type Phase string

const (
	Before Phase = "before"
	After  Phase = "after"
)

// Phases lists the phases in display order.
var Phases = []Phase{Before, After}

// The answer scale: 1 "strongly disagree" … 5 "strongly agree".
const (
	ScaleMin = 1
	ScaleMax = 5
)

// Hope is which way the program hopes agreement with a statement moves.
type Hope string

const (
	HopeUp   Hope = "up"
	HopeDown Hope = "down"
)

// Item is one statement the respondent agrees or disagrees with.
//
// An item's ID is forever: a reworded statement is a new item with a new ID, so
// answers to different wordings are never pooled. The statement's text is the
// catalogue key "survey.item.<id>" in every language.
type Item struct {
	ID        string `json:"id"`
	AfterOnly bool   `json:"after_only"` // asked only after the talk (about the talk itself)
	Hope      Hope   `json:"hope"`
}

// Key is the catalogue key of the item's statement.
func (it Item) Key() string { return "survey.item." + it.ID }

// AskedIn reports whether the item is asked in phase ph.
func (it Item) AskedIn(ph Phase) bool { return !it.AfterOnly || ph == After }

// Instrument is a versioned list of items. Responses record the version they were
// given under; the evaluation issue will add versions, never change one.
type Instrument struct {
	Version string `json:"version"`
	Items   []Item `json:"items"`
}

// v1 is the basic before/after instrument: attitudes the program's stories target
// (the promise of life in an armed group, what those who went found, what the
// listener would do), and, afterwards, whether the speaker was believed.
var v1 = Instrument{Version: "v1", Items: []Item{
	{ID: "better_life", Hope: HopeDown},      // Joining an armed group abroad leads to a better life.
	{ID: "recruiters_truth", Hope: HopeDown}, // Recruiters tell the truth about life in these groups.
	{ID: "joiners_regret", Hope: HopeUp},     // Many people who joined such groups regret it.
	{ID: "talk_trusted", Hope: HopeUp},       // If a friend were being drawn in, I would talk to someone I trust.
	{ID: "speaker_believable", AfterOnly: true, Hope: HopeUp},
}}

var instruments = map[string]Instrument{v1.Version: v1}

// Current is the instrument new responses are given under.
func Current() Instrument { return clone(v1) }

// InstrumentVersion returns the instrument of version v.
func InstrumentVersion(v string) (Instrument, bool) {
	in, ok := instruments[v]
	return clone(in), ok
}

func clone(in Instrument) Instrument { in.Items = slices.Clone(in.Items); return in }

// Item returns the item of id.
func (in Instrument) Item(id string) (Item, bool) {
	for _, it := range in.Items {
		if it.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// SkipValue is the form value of "prefer not to say"; an empty or missing value
// means the same.
const SkipValue = "skip"

// maxFormFields bounds the work ParseAnswers does for a form stuffed with fields.
const maxFormFields = 64

// ParseAnswers reads a submitted survey form: "phase" ("before" or "after") and one
// field per item, named by its id, holding "1"…"5" or SkipValue. Fields it does not
// know are ignored. An item asked only after the talk is dropped from a "before"
// response (the form cannot hide it without script). At least one item must be
// answered. A refusal is an errs.Invalid naming the field at fault.
func (in Instrument) ParseAnswers(form url.Values) (Phase, map[string]int, error) {
	if len(form) > maxFormFields {
		return "", nil, invalid("", "survey.error.form", "the form has too many fields")
	}
	phases := form["phase"]
	if len(phases) != 1 || !slices.Contains(Phases, Phase(phases[0])) {
		return "", nil, invalid("phase", "survey.error.phase", "say whether you answer before or after the talk")
	}
	ph := Phase(phases[0])
	answers := map[string]int{}
	for _, it := range in.Items {
		vals := form[it.ID]
		if len(vals) > 1 {
			return "", nil, invalid(it.ID, "survey.error.value", "choose one answer")
		}
		if len(vals) == 0 || vals[0] == "" || vals[0] == SkipValue {
			continue
		}
		v := vals[0]
		if len(v) != 1 || v[0] < '0'+ScaleMin || v[0] > '0'+ScaleMax {
			return "", nil, invalid(it.ID, "survey.error.value", "choose one of the answers shown")
		}
		if it.AskedIn(ph) {
			answers[it.ID] = int(v[0] - '0')
		}
	}
	if len(answers) == 0 {
		return "", nil, invalid("", "survey.error.empty", "answer at least one question")
	}
	return ph, answers, nil
}

// Check refuses a submission the instrument would not have produced: an unknown
// phase or language, an unknown item, one not asked in the phase, a value off the
// scale, or no answer at all. Submit runs it whoever the caller is.
func (in Instrument) Check(sub Submission) error {
	if !slices.Contains(Phases, sub.Phase) {
		return invalid("phase", "survey.error.phase", "say whether you answer before or after the talk")
	}
	if !slices.Contains(i18n.Supported(), sub.Language) {
		return invalid("", "survey.error.form", "unknown language")
	}
	if len(sub.Answers) == 0 {
		return invalid("", "survey.error.empty", "answer at least one question")
	}
	for id, v := range sub.Answers {
		it, ok := in.Item(id)
		if !ok || !it.AskedIn(sub.Phase) || v < ScaleMin || v > ScaleMax {
			return invalid(id, "survey.error.value", "choose one of the answers shown")
		}
	}
	return nil
}

func invalid(field, key, msg string) error {
	return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: key, Msg: msg}
}
