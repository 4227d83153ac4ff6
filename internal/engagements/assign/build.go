package assign

import (
	"strconv"
	"strings"
	"time"
)

// The network's fixed nodes; engagement i is node firstEngagement+i.
const (
	source          int32 = 0
	sink            int32 = 1
	firstEngagement int32 = 2
)

// problem is one Solve call: the sorted input, the network, and the bookkeeping that
// maps arcs back to pairs.
type problem struct {
	es      []Engagement
	ss      []Speaker
	w       Weights
	allowed func(Speaker, Engagement) (bool, string)

	net   network
	shift int64 // added to every pair arc's cost so none is negative
	cands []cand
	weeks []*week
	// rules[e][s] is why a pair was never a candidate (ruleOK for candidates); only
	// unfilled engagements turn it into words.
	rules [][]rule
	// perEngagement[e] lists e's candidates by speaker order.
	perEngagement [][]int
}

// cand is a pair that passes every hard rule known before solving.
type cand struct {
	e, s  int
	arc   int32 // engagement → speaker's week (or overlap block) arc
	week  *week
	block *overlap // nil when the engagement has no Overlap key
}

// week is a speaker's load-limit period: its node, its room under the limit, and
// the candidates feeding it.
type week struct {
	node   int32
	load   int // booked before this proposal
	room   int // Limit − load, > 0
	inputs int // arcs entering (an overlap block counts once): more sink arcs are never used
	blocks map[string]*overlap
}

// overlap is a speaker's block of overlapping engagements in one week: capacity 1.
type overlap struct {
	node int32
}

func (p *problem) build() {
	g := &p.net
	g.addNode() // source
	g.addNode() // sink
	for range p.es {
		g.addNode()
	}
	// The largest bonus: adding it to every pair arc makes all costs non-negative.
	// Every unit of flow crosses exactly one pair arc, so this shifts the cost of
	// every flow of a given value by the same amount and changes no choice.
	p.shift = p.w.OwnCommunity + p.w.FirstLanguage
	p.rules = make([][]rule, len(p.es))
	p.perEngagement = make([][]int, len(p.es))
	weeks := map[weekKey]*week{}
	for ei := range p.es {
		e := &p.es[ei]
		g.addArc(source, firstEngagement+int32(ei), int32(e.Slots), 0)
		p.rules[ei] = make([]rule, len(p.ss))
		for si := range p.ss {
			s := &p.ss[si]
			if r := p.check(s, e); r.kind != ruleOK {
				p.rules[ei][si] = r
				continue
			}
			k := weekKey{si, e.Week}
			wk := weeks[k]
			if wk == nil {
				wk = &week{node: g.addNode(), load: s.Load[e.Week]}
				wk.room = s.Limit - wk.load
				weeks[k] = wk
				p.weeks = append(p.weeks, wk)
			}
			to := wk.node
			var ov *overlap
			if e.Overlap != "" {
				if wk.blocks == nil {
					wk.blocks = map[string]*overlap{}
				}
				ov = wk.blocks[e.Overlap]
				if ov == nil {
					ov = &overlap{node: g.addNode()}
					wk.blocks[e.Overlap] = ov
					g.addArc(ov.node, wk.node, 1, 0)
					wk.inputs++
				}
				to = ov.node
			} else {
				wk.inputs++
			}
			cost := scorePair(p.w, s, e).total() + p.shift
			c := cand{e: ei, s: si, week: wk, block: ov, arc: g.addArc(firstEngagement+int32(ei), to, 1, cost)}
			p.perEngagement[ei] = append(p.perEngagement[ei], len(p.cands))
			p.cands = append(p.cands, c)
		}
	}
	// The convex load cost: one unit arc per further engagement the week has room
	// for, each dearer than the one before.
	for _, wk := range p.weeks {
		for k := range min(wk.room, wk.inputs) {
			g.addArc(wk.node, sink, 1, loadCost(p.w, wk.load+k+1))
		}
	}
}

type weekKey struct {
	s    int
	week string
}

// rule is the outcome of the hard rules known before solving for one pair.
type rule struct {
	kind ruleKind
	why  string // the caller's reason, for ruleDenied
}

type ruleKind uint8

const (
	ruleOK        ruleKind = iota
	ruleDenied             // the caller's Allowed said no
	ruleLanguage           // the speaker lacks the engagement's language
	ruleLoadLimit          // the speaker's week is already at the limit
)

// check applies the hard rules known before solving, in a fixed order: the caller's
// rules, then language, then the load limit.
func (p *problem) check(s *Speaker, e *Engagement) rule {
	if p.allowed != nil {
		if ok, why := p.allowed(*s, *e); !ok {
			return rule{ruleDenied, why}
		}
	}
	if e.Language != "" && !speaks(s, e.Language) {
		return rule{kind: ruleLanguage}
	}
	if s.Load[e.Week] >= s.Limit {
		return rule{kind: ruleLoadLimit}
	}
	return rule{}
}

// blockedBy words a rule that kept s from e.
func blockedBy(r rule, s *Speaker, e *Engagement) Blocked {
	switch r.kind {
	case ruleDenied:
		if strings.TrimSpace(r.why) == "" {
			return blocked(s.ID, "assign.block.rule_unspecified")
		}
		b := blocked(s.ID, "assign.block.rule", r.why)
		b.RuleReason = r.why
		return b
	case ruleLanguage:
		return blocked(s.ID, "assign.block.language", e.Language)
	}
	return blocked(s.ID, "assign.block.load_limit", e.Week, s.Load[e.Week], s.Limit)
}

func blocked(speakerID, key string, args ...any) Blocked {
	return Blocked{SpeakerID: speakerID, Reason: reason(key, args...)}
}

func reason(key string, args ...any) Reason {
	if args == nil {
		args = []any{}
	}
	return Reason{Key: key, Args: args, Text: English(key, args...)}
}

// result reads the proposal off the solved network and explains it.
func (p *problem) result() Result {
	r := Result{Weights: p.w, Pairs: []Pair{}, Unfilled: []Unfilled{}}
	chosen := make([]bool, len(p.cands))
	filled := make([]int, len(p.es))
	// The load arcs say only how much of a week is used, not which engagement is
	// "first"; the explanation gives the dearer places to the later engagements in
	// ID order. The week's total is the same either way.
	used := map[*week]int{}
	blockUser := map[*overlap]int{} // engagement holding each used overlap block
	for ci, c := range p.cands {
		if p.net.flow(c.arc) == 0 {
			continue
		}
		chosen[ci] = true
		filled[c.e]++
		used[c.week]++
		if c.block != nil {
			blockUser[c.block] = c.e
		}
	}
	seen := map[*week]int{}
	for ci, c := range p.cands { // candidates are in engagement, then speaker order
		if !chosen[ci] {
			continue
		}
		seen[c.week]++
		pair := p.explain(c, c.week.load+seen[c.week])
		r.Pairs = append(r.Pairs, pair)
		r.Cost += pair.Cost
	}
	for ei := range p.es {
		e := &p.es[ei]
		r.Slots += e.Slots
		r.Filled += filled[ei]
		if filled[ei] == e.Slots {
			continue
		}
		r.Unfilled = append(r.Unfilled, p.unfilled(ei, filled[ei], chosen, used, blockUser))
	}
	return r
}

// explain builds a chosen pair's explanation; nth is the engagement's rank in the
// speaker's week, those booked before counted.
func (p *problem) explain(c cand, nth int) Pair {
	e, s := &p.es[c.e], &p.ss[c.s]
	sc := scorePair(p.w, s, e)
	crit := make([]Criterion, 0, 4)
	add := func(points int64, key string, args ...any) {
		crit = append(crit, Criterion{Reason: reason(key, append(args, signed(points))...), Points: points})
	}
	switch {
	case e.Community == "":
		add(sc.community, "assign.reason.no_community")
	case s.Community == e.Community:
		add(sc.community, "assign.reason.own_community", e.Community)
	default:
		add(sc.community, "assign.reason.other_community", e.Community)
	}
	switch {
	case e.Language == "":
		add(sc.language, "assign.reason.any_language")
	case sc.firstLanguage:
		add(sc.language, "assign.reason.first_language", e.Language)
	default:
		add(sc.language, "assign.reason.speaks_language", e.Language)
	}
	h, m := hoursMinutes(sc.travelTime)
	switch {
	case e.Remote:
		add(sc.travel, "assign.reason.remote")
	case sc.travelKnown:
		add(sc.travel, "assign.reason.travel", h, m)
	default:
		add(sc.travel, "assign.reason.travel_unknown", h, m)
	}
	add(loadCost(p.w, nth), "assign.reason.load", e.Week, nth, s.Limit)
	pair := Pair{EngagementID: e.ID, SpeakerID: s.ID, Criteria: crit}
	texts := make([]string, 0, len(crit)+1)
	for _, c := range crit {
		pair.Cost += c.Points
		texts = append(texts, c.Text)
	}
	texts = append(texts, English("assign.pair.total", signed(pair.Cost)))
	pair.Text = strings.Join(texts, " ")
	return pair
}

// unfilled explains an engagement's empty places: a summary, and per speaker not
// proposed for it what stands in the way.
func (p *problem) unfilled(ei, filled int, chosen []bool, used map[*week]int, blockUser map[*overlap]int) Unfilled {
	e := &p.es[ei]
	missing := e.Slots - filled
	u := Unfilled{EngagementID: e.ID, Slots: e.Slots, Missing: missing, Blocked: []Blocked{}}
	allowed, withRoom := 0, len(p.perEngagement[ei])
	for si := range p.ss {
		if k := p.rules[ei][si].kind; k == ruleOK || k == ruleLoadLimit {
			allowed++
		}
	}
	switch {
	case allowed == 0:
		u.Reason = reason("assign.unfilled.no_speaker", missing, e.Slots)
	case withRoom == 0:
		u.Reason = reason("assign.unfilled.load_limit", missing, e.Slots)
	case filled == withRoom:
		u.Reason = reason("assign.unfilled.too_few", missing, e.Slots, withRoom)
	default:
		// A maximum flow: any further place here would empty one elsewhere.
		u.Reason = reason("assign.unfilled.taken", missing, e.Slots)
	}
	next := 0
	for si := range p.ss {
		if r := p.rules[ei][si]; r.kind != ruleOK {
			u.Blocked = append(u.Blocked, blockedBy(r, &p.ss[si], e))
			continue
		}
		ci := p.perEngagement[ei][next]
		next++
		if chosen[ci] {
			continue
		}
		// Not chosen though allowed with room: with a maximum flow, the speaker's
		// overlap block or week is full of other proposed engagements.
		c := p.cands[ci]
		if c.block != nil {
			if other, ok := blockUser[c.block]; ok {
				u.Blocked = append(u.Blocked, blocked(p.ss[si].ID, "assign.block.overlap", p.es[other].ID))
				continue
			}
		}
		u.Blocked = append(u.Blocked, blocked(p.ss[si].ID, "assign.block.week_full", e.Week, used[c.week]+c.week.load, p.ss[si].Limit))
	}
	return u
}

func hoursMinutes(d time.Duration) (int, int) {
	m := int(d.Round(time.Minute) / time.Minute)
	return m / 60, m % 60
}

// signed writes points with their sign, as explanations show them: "+90", "-600", "0".
func signed(points int64) string {
	if points > 0 {
		return "+" + strconv.FormatInt(points, 10)
	}
	return strconv.FormatInt(points, 10)
}
