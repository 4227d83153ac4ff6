// Package assign is the assignment assistant's solver: given open engagements and
// cleared speakers, it proposes who should speak where, best by stated criteria and
// subject to every hard rule, and explains each proposed pair and each place left
// empty. It is pure — no store, no clock, no I/O — so the caller gathers the facts
// (consent, clearance, existing bookings, travel times) and a person accepts or
// changes the proposal.
//
// # Hard rules
//
// A speaker may take a place at an engagement only when
//   - the caller's Allowed predicate says so (consent for this use, identity level,
//     audience and date; clearance to speak; no clash with existing bookings);
//   - the speaker speaks the engagement's language, when one is set;
//   - the speaker's week is below the weekly load limit, counting what is already
//     booked and what this proposal adds;
//   - the speaker holds at most one place at that engagement, and at most one of the
//     engagements of a week that share an Overlap key (so the proposal itself never
//     double-books anyone).
//
// # Objective
//
// First, fill as many speaker places as possible. Then, among all assignments that
// fill that many, minimise the total cost, in integer points (Weights):
//
//   - own community first: a speaker whose home community is the engagement's
//     community earns a bonus of OwnCommunity points (the op-ed's point: a returnee
//     speaks best to their own people);
//   - language fit: a speaker whose first language is the engagement's language earns
//     FirstLanguage points (speaking it at all is a hard rule, above);
//   - fewest travel hours: TravelPerHour points per hour to the venue, pro rata;
//   - load balance: a speaker's n-th engagement in a week costs LoadStep·(2n−1), so n
//     engagements cost LoadStep·n² in all. The cost is convex, so two engagements for
//     two people are cheaper than two for one, and work spreads.
//
// The defaults (DefaultWeights) count one point per minute of travel: one's own
// community is worth ten hours of travel, one's first language two hours, and a
// speaker's third engagement in a week (150) costs two hours more than a first (30).
//
// # Method
//
// The problem is solved exactly as a min-cost maximum flow. The source feeds each
// engagement as many units as it has places; a unit-capacity arc per allowed pair
// (at most one place per speaker per engagement) carries the pair's cost to the
// speaker's week, through a capacity-1 node per overlap block when the engagement has
// one; the week reaches the sink by unit-capacity parallel arcs, one per engagement
// it has room for under the limit, costing the 1st, 2nd… further engagement's load
// cost. Those costs increase, so any flow uses the cheapest first and the arcs add up
// to exactly the convex load cost. Successive shortest paths (Dijkstra with node
// potentials, all costs integers) then give a maximum flow of least cost. The tests
// compare it with brute force on thousands of small random instances and check the
// optimality certificate (no augmenting path, no negative cycle) on larger ones.
//
// Ties between equally good assignments are broken deterministically: the input is
// put in ID order first, so the same engagements and speakers give the same proposal
// whatever order they come in.
package assign

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Engagement is an open engagement needing speakers.
type Engagement struct {
	ID        string `json:"id"`
	Community string `json:"community"` // community ID; "" when not in one community (say, a national outlet)
	Language  string `json:"language"`  // language code, compared case-insensitively; "" when any language will do
	// Week is the load-limit period the engagement falls in, as the caller names it
	// (say "2026-W14", computed in the tenant's time zone).
	Week string `json:"week"`
	// Overlap, when set, names a time block: engagements of the same Week sharing a
	// non-empty Overlap key overlap in time, and a speaker takes at most one of them.
	// The caller groups overlapping engagements (by day, say); the solver keeps the
	// proposal inside those groups.
	Overlap string `json:"overlap,omitempty"`
	// Remote marks an engagement without a venue to travel to (online live).
	Remote bool `json:"remote,omitempty"`
	// Slots is the number of speakers needed; 0 means 1.
	Slots int `json:"slots"`
}

// Speaker is a cleared speaker (a returnee) who may be proposed.
type Speaker struct {
	ID        string   `json:"id"`
	Community string   `json:"community"` // home community ID
	Languages []string `json:"languages"` // language codes, first language first
	// Limit is the weekly load limit: the most engagements the speaker may have in one
	// week, those already booked included. 0 means none.
	Limit int `json:"limit"`
	// Load is the number of engagements already booked, by Week.
	Load map[string]int `json:"load"`
	// Travel is the travel time to each engagement's venue, by engagement ID. A
	// missing entry counts as Weights.UnknownTravel; a Remote engagement needs none.
	Travel map[string]time.Duration `json:"travel"`
}

// Weights are the points of the objective; see the package documentation.
type Weights struct {
	OwnCommunity  int64 `json:"own_community"`   // bonus when the speaker's home community is the engagement's
	FirstLanguage int64 `json:"first_language"`  // bonus when the engagement's language is the speaker's first
	TravelPerHour int64 `json:"travel_per_hour"` // cost per hour of travel, pro rata to the second, rounded half up
	// UnknownTravel is the travel time assumed when a speaker's travel to a venue is not
	// known: a guess, costed like a known time, so an unknown is neither free nor
	// forbidding.
	UnknownTravel time.Duration `json:"unknown_travel"`
	LoadStep      int64         `json:"load_step"` // the n-th engagement of a speaker's week costs LoadStep·(2n−1)
}

// DefaultWeights returns the stated criteria's default weights: one point per minute
// of travel, own community worth ten hours of it, first language two hours, and load
// steps of 30 (a speaker's weekly engagements cost 30, 90, 150… each).
func DefaultWeights() Weights {
	return Weights{OwnCommunity: 600, FirstLanguage: 120, TravelPerHour: 60, UnknownTravel: 4 * time.Hour, LoadStep: 30}
}

// Problem is the solver's input.
type Problem struct {
	Engagements []Engagement
	Speakers    []Speaker
	// Allowed is the caller's hard rules for one pair (consent, clearance,
	// double-booking with existing bookings…); when it says no, reason says why in
	// words shown to the person (a caller-side catalogue key or a sentence). nil
	// allows every pair. It must be a pure function of its arguments, and it is called
	// at most once per pair.
	Allowed func(s Speaker, e Engagement) (ok bool, reason string)
	// Weights nil means DefaultWeights.
	Weights *Weights
}

// Reason is one explanation: a catalogue key (messages in i18n.en.json and
// i18n.ar.json), the arguments of its placeholders, and its English text.
type Reason struct {
	Key  string `json:"key"`
	Args []any  `json:"args"`
	Text string `json:"text"`
}

// Criterion is what one criterion contributed to a pair's cost: Points are negative
// for a bonus and positive for a cost.
type Criterion struct {
	Reason
	Points int64 `json:"points"`
}

// Pair is one proposed speaker place, with its explanation. The criteria are always
// the same four, in order — community, language, travel, load — and their Points add
// up to Cost.
type Pair struct {
	EngagementID string      `json:"engagement_id"`
	SpeakerID    string      `json:"speaker_id"`
	Cost         int64       `json:"cost"`
	Criteria     []Criterion `json:"criteria"`
	Text         string      `json:"text"` // English: the criteria's texts and the total
}

// Blocked is why one speaker is not proposed for an unfilled engagement.
type Blocked struct {
	SpeakerID string `json:"speaker_id"`
	Reason
	// RuleReason is the Allowed predicate's reason, verbatim, when that was the block.
	RuleReason string `json:"rule_reason,omitempty"`
}

// Unfilled is an engagement left with empty places, with why: the summary Reason and,
// for each speaker not proposed for it, what stands in the way.
type Unfilled struct {
	EngagementID string `json:"engagement_id"`
	Slots        int    `json:"slots"`
	Missing      int    `json:"missing"`
	Reason
	Blocked []Blocked `json:"blocked"`
}

// Result is the proposed assignment. Pairs are in engagement ID order, then speaker
// ID order; Unfilled in engagement ID order.
type Result struct {
	Pairs    []Pair     `json:"pairs"`
	Unfilled []Unfilled `json:"unfilled"`
	Slots    int        `json:"slots"`  // speaker places asked for
	Filled   int        `json:"filled"` // places proposed: the most possible
	Cost     int64      `json:"cost"`   // total of the pairs' costs: the least possible for Filled places
	Weights  Weights    `json:"weights"`
}

// Bounds on the input keep every cost far inside int64, whatever the caller passes.
const (
	maxSlots  = 1000
	maxLoad   = 1000
	maxWeight = 1_000_000
	maxTravel = 7 * 24 * time.Hour
)

// Solve proposes the assignment that fills the most speaker places and, among those,
// costs least. It fails only on invalid input: an empty or repeated ID, or a number
// out of range.
func Solve(p Problem) (Result, error) {
	w := DefaultWeights()
	if p.Weights != nil {
		w = *p.Weights
	}
	if err := validate(p, w); err != nil {
		return Result{}, err
	}
	r, _ := solve(p, w)
	return r, nil
}

// solve runs a valid problem, returning the solved network too (for tests).
func solve(p Problem, w Weights) (Result, *problem) {
	// Sorting by ID makes the output independent of input order (ties are broken by
	// position in the flow network).
	es := slices.Clone(p.Engagements)
	slices.SortFunc(es, func(a, b Engagement) int { return cmp.Compare(a.ID, b.ID) })
	ss := slices.Clone(p.Speakers)
	slices.SortFunc(ss, func(a, b Speaker) int { return cmp.Compare(a.ID, b.ID) })
	for i := range es {
		if es[i].Slots == 0 {
			es[i].Slots = 1
		}
	}
	pr := &problem{es: es, ss: ss, w: w, allowed: p.Allowed}
	pr.build()
	pr.net.minCostMaxFlow(source, sink)
	return pr.result(), pr
}

func validate(p Problem, w Weights) error {
	var bad []error
	for _, x := range []struct {
		name string
		v    int64
	}{{"OwnCommunity", w.OwnCommunity}, {"FirstLanguage", w.FirstLanguage}, {"TravelPerHour", w.TravelPerHour}, {"LoadStep", w.LoadStep}} {
		if x.v < 0 || x.v > maxWeight {
			bad = append(bad, fmt.Errorf("weight %s is %d, want 0…%d", x.name, x.v, maxWeight))
		}
	}
	if w.UnknownTravel < 0 || w.UnknownTravel > maxTravel {
		bad = append(bad, fmt.Errorf("weight UnknownTravel is %v, want 0…%v", w.UnknownTravel, maxTravel))
	}
	seen := map[string]bool{}
	for _, e := range p.Engagements {
		switch {
		case e.ID == "":
			bad = append(bad, errors.New("an engagement has no ID"))
		case seen[e.ID]:
			bad = append(bad, fmt.Errorf("engagement %q appears twice", e.ID))
		}
		seen[e.ID] = true
		if e.Slots < 0 || e.Slots > maxSlots {
			bad = append(bad, fmt.Errorf("engagement %q needs %d speakers, want 0…%d", e.ID, e.Slots, maxSlots))
		}
	}
	clear(seen)
	for _, s := range p.Speakers {
		switch {
		case s.ID == "":
			bad = append(bad, errors.New("a speaker has no ID"))
		case seen[s.ID]:
			bad = append(bad, fmt.Errorf("speaker %q appears twice", s.ID))
		}
		seen[s.ID] = true
		if s.Limit < 0 || s.Limit > maxLoad {
			bad = append(bad, fmt.Errorf("speaker %q has load limit %d, want 0…%d", s.ID, s.Limit, maxLoad))
		}
		for _, wk := range sortedKeys(s.Load) {
			if n := s.Load[wk]; n < 0 || n > maxLoad {
				bad = append(bad, fmt.Errorf("speaker %q has load %d in week %q, want 0…%d", s.ID, n, wk, maxLoad))
			}
		}
		for _, id := range sortedKeys(s.Travel) {
			if d := s.Travel[id]; d < 0 || d > maxTravel {
				bad = append(bad, fmt.Errorf("speaker %q has travel %v to %q, want 0…%v", s.ID, d, id, maxTravel))
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("assign: invalid problem: %w", errors.Join(bad...))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// score is a pair's cost before load, by criterion.
type score struct {
	community, language, travel int64
	firstLanguage               bool
	travelTime                  time.Duration
	travelKnown                 bool
}

func (sc score) total() int64 { return sc.community + sc.language + sc.travel }

func scorePair(w Weights, s *Speaker, e *Engagement) score {
	var sc score
	if e.Community != "" && s.Community == e.Community {
		sc.community = -w.OwnCommunity
	}
	if e.Language != "" && len(s.Languages) > 0 && strings.EqualFold(s.Languages[0], e.Language) {
		sc.firstLanguage, sc.language = true, -w.FirstLanguage
	}
	if !e.Remote {
		sc.travelTime, sc.travelKnown = s.Travel[e.ID]
		if !sc.travelKnown {
			sc.travelTime = w.UnknownTravel
		}
		sc.travel = travelCost(w, sc.travelTime)
	}
	return sc
}

// travelCost is TravelPerHour pro rata to the whole second, rounded half up; integer
// arithmetic keeps it exact and the same everywhere.
func travelCost(w Weights, d time.Duration) int64 {
	secs := int64(d / time.Second)
	return (secs*w.TravelPerHour + 1800) / 3600
}

// loadCost is the marginal cost of a speaker's n-th engagement in a week (n ≥ 1).
func loadCost(w Weights, n int) int64 { return w.LoadStep * int64(2*n-1) }

func speaks(s *Speaker, lang string) bool {
	return slices.ContainsFunc(s.Languages, func(l string) bool { return strings.EqualFold(l, lang) })
}
