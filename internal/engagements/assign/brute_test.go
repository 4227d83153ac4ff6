package assign_test

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"inoculate/internal/engagements/assign"
)

// This file holds the reference: the problem's rules and costs written again from
// the package documentation, independently of the solver, a brute-force search
// over every assignment, and a checker for any proposed assignment.

// instance is a random problem with its rule table, so the predicate is a pure
// function of the pair's IDs.
type instance struct {
	p      assign.Problem
	denied map[string]string // "speaker|engagement" → reason
}

func ruleKey(s, e string) string { return s + "|" + e }

func (in *instance) allowed(s assign.Speaker, e assign.Engagement) (bool, string) {
	why, no := in.denied[ruleKey(s.ID, e.ID)]
	return !no, why
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// randomInstance draws a problem with up to maxE engagements and maxS speakers. Few
// communities, languages, weeks and weights make ties and conflicts common, which is
// where a solver goes wrong.
func randomInstance(r *rand.Rand, maxE, maxS int) *instance {
	in := &instance{denied: map[string]string{}}
	nE, nS := 1+r.IntN(maxE), 1+r.IntN(maxS)
	if r.IntN(2) == 0 { // half at full size, where the search is hardest
		nE, nS = maxE, maxS
	}
	langs := []string{"ar", "so", "en"}
	for i := range nE {
		e := assign.Engagement{
			ID:        fmt.Sprintf("e%02d", r.IntN(100)*100+i), // IDs out of input order
			Community: pick(r, "", "c1", "c2", "c3"),
			Language:  pick(r, "", "", "ar", "ar", "so", "en", "AR"),
			Week:      pick(r, "w1", "w2"),
			Overlap:   pick(r, "", "", "d1", "d2"),
			Remote:    r.IntN(10) == 0,
			Slots:     pick(r, 0, 1, 1, 1, 2, 2, 3),
		}
		in.p.Engagements = append(in.p.Engagements, e)
	}
	for i := range nS {
		s := assign.Speaker{
			ID:        fmt.Sprintf("s%02d", r.IntN(100)*100+i),
			Community: pick(r, "", "c1", "c2", "c3"),
			Limit:     pick(r, 0, 1, 2, 2, 3, 3),
			Load:      map[string]int{},
			Travel:    map[string]time.Duration{},
		}
		for _, l := range r.Perm(len(langs))[:pick(r, 0, 1, 2, 2, 3, 3)] {
			s.Languages = append(s.Languages, langs[l])
		}
		for _, wk := range []string{"w1", "w2"} {
			if n := pick(r, 0, 0, 1, 2); n > 0 {
				s.Load[wk] = n
			}
		}
		for _, e := range in.p.Engagements {
			if r.IntN(6) > 0 {
				s.Travel[e.ID] = time.Duration(r.IntN(600))*time.Minute + time.Duration(r.IntN(60))*time.Second
			}
			if r.IntN(6) == 0 {
				in.denied[ruleKey(s.ID, e.ID)] = pick(r, "", "consent does not cover this audience", "double-booked")
			}
		}
		in.p.Speakers = append(in.p.Speakers, s)
	}
	in.p.Allowed = in.allowed
	if r.IntN(5) > 0 {
		w := assign.Weights{
			OwnCommunity:  pick[int64](r, 0, 600, 50, 45),
			FirstLanguage: pick[int64](r, 0, 120, 30),
			TravelPerHour: pick[int64](r, 0, 60, 7, 1),
			UnknownTravel: pick(r, 0, 4*time.Hour, 90*time.Minute),
			LoadStep:      pick[int64](r, 0, 30, 1, 200),
		}
		in.p.Weights = &w
	}
	return in
}

func weightsOf(p assign.Problem) assign.Weights {
	if p.Weights != nil {
		return *p.Weights
	}
	return assign.DefaultWeights()
}

func slotsOf(e assign.Engagement) int { return max(e.Slots, 1) }

// legal is the hard rules of one pair before any load this proposal adds.
func legal(p assign.Problem, s assign.Speaker, e assign.Engagement) bool {
	if p.Allowed != nil {
		if ok, _ := p.Allowed(s, e); !ok {
			return false
		}
	}
	if e.Language != "" && !slices.ContainsFunc(s.Languages, func(l string) bool { return strings.EqualFold(l, e.Language) }) {
		return false
	}
	return s.Load[e.Week] < s.Limit
}

// pairCost is a pair's cost without load, from the documented criteria.
func pairCost(w assign.Weights, s assign.Speaker, e assign.Engagement) int64 {
	var c int64
	if e.Community != "" && s.Community == e.Community {
		c -= w.OwnCommunity
	}
	if e.Language != "" && len(s.Languages) > 0 && strings.EqualFold(s.Languages[0], e.Language) {
		c -= w.FirstLanguage
	}
	if !e.Remote {
		d, ok := s.Travel[e.ID]
		if !ok {
			d = w.UnknownTravel
		}
		// Pro rata to the second, rounded half up.
		c += (int64(d/time.Second)*w.TravelPerHour + 1800) / 3600
	}
	return c
}

// weekCost is the load cost of n new engagements on top of load booked: the n-th of
// a week costs LoadStep·(2n−1), so a week of k costs LoadStep·k².
func weekCost(w assign.Weights, load, n int) int64 {
	t := int64(load + n)
	return w.LoadStep * (t*t - int64(load)*int64(load))
}

type pairRef struct{ e, s int }

// referenceCost is the documented total of an assignment.
func referenceCost(p assign.Problem, pairs []pairRef) int64 {
	w := weightsOf(p)
	var c int64
	type wk struct {
		s    int
		week string
	}
	n := map[wk]int{}
	for _, pr := range pairs {
		c += pairCost(w, p.Speakers[pr.s], p.Engagements[pr.e])
		n[wk{pr.s, p.Engagements[pr.e].Week}]++
	}
	for k, cnt := range n {
		c += weekCost(w, p.Speakers[k.s].Load[k.week], cnt)
	}
	return c
}

// brute tries every assignment: each engagement takes any set of legal speakers up to
// its places, within every speaker's room and overlap blocks. It returns the most
// places filled and the least cost for that many.
func brute(p assign.Problem) (bestFilled int, bestCost int64) {
	es, ss := p.Engagements, p.Speakers
	bestFilled = -1
	weekUse := map[string]int{}
	blockUse := map[string]bool{}
	var pairs []pairRef
	var rec func(ei int)
	rec = func(ei int) {
		if ei == len(es) {
			c := referenceCost(p, pairs)
			if len(pairs) > bestFilled || len(pairs) == bestFilled && c < bestCost {
				bestFilled, bestCost = len(pairs), c
			}
			return
		}
		e := es[ei]
	masks:
		for mask := range 1 << len(ss) {
			if bits.OnesCount(uint(mask)) > slotsOf(e) {
				continue
			}
			var members []int
			for si := range ss {
				if mask&(1<<si) != 0 {
					members = append(members, si)
				}
			}
			for _, si := range members {
				s := ss[si]
				if !legal(p, s, e) || s.Load[e.Week]+weekUse[s.ID+"|"+e.Week]+1 > s.Limit {
					continue masks
				}
				if e.Overlap != "" && blockUse[s.ID+"|"+e.Week+"|"+e.Overlap] {
					continue masks
				}
			}
			for _, si := range members {
				weekUse[ss[si].ID+"|"+e.Week]++
				if e.Overlap != "" {
					blockUse[ss[si].ID+"|"+e.Week+"|"+e.Overlap] = true
				}
				pairs = append(pairs, pairRef{ei, si})
			}
			rec(ei + 1)
			for _, si := range members {
				weekUse[ss[si].ID+"|"+e.Week]--
				if e.Overlap != "" {
					delete(blockUse, ss[si].ID+"|"+e.Week+"|"+e.Overlap)
				}
			}
			pairs = pairs[:len(pairs)-len(members)]
		}
	}
	rec(0)
	return bestFilled, bestCost
}

// checkResult checks everything a proposal must be, whatever its optimality: every
// hard rule kept, places and load limits respected, totals consistent, every pair and
// every empty place explained. It returns the pairs as indices into p.
func checkResult(t *testing.T, p assign.Problem, res assign.Result) []pairRef {
	t.Helper()
	eIdx, sIdx := map[string]int{}, map[string]int{}
	for i, e := range p.Engagements {
		eIdx[e.ID] = i
	}
	for i, s := range p.Speakers {
		sIdx[s.ID] = i
	}
	w := weightsOf(p)
	var refs []pairRef
	seen := map[pairRef]bool{}
	perE := map[int]int{}
	type speakerWeek struct {
		s    int
		week string
	}
	weekUse := map[speakerWeek]int{}
	blockUse := map[string]int{}
	var sum int64
	for _, pr := range res.Pairs {
		ei, ok1 := eIdx[pr.EngagementID]
		si, ok2 := sIdx[pr.SpeakerID]
		if !ok1 || !ok2 {
			t.Fatalf("pair %s/%s: unknown engagement or speaker", pr.EngagementID, pr.SpeakerID)
		}
		ref := pairRef{ei, si}
		if seen[ref] {
			t.Fatalf("speaker %s holds two places at %s", pr.SpeakerID, pr.EngagementID)
		}
		seen[ref] = true
		refs = append(refs, ref)
		e, s := p.Engagements[ei], p.Speakers[si]
		if !legal(p, s, e) {
			t.Fatalf("pair %s/%s breaks a hard rule", e.ID, s.ID)
		}
		perE[ei]++
		weekUse[speakerWeek{si, e.Week}]++
		if e.Overlap != "" {
			blockUse[s.ID+"|"+e.Week+"|"+e.Overlap]++
		}
		// The explanation: four criteria, in order, adding up to the cost.
		if len(pr.Criteria) != 4 || pr.Text == "" {
			t.Fatalf("pair %s/%s: explanation incomplete: %+v", e.ID, s.ID, pr)
		}
		var pts int64
		for i, c := range pr.Criteria {
			checkReason(t, c.Reason)
			prefix := []string{"assign.reason.", "assign.reason.", "assign.reason.", "assign.reason.load"}[i]
			if !strings.HasPrefix(c.Key, prefix) || c.Text == "" || c.Text == c.Key || !strings.Contains(pr.Text, c.Text) {
				t.Fatalf("pair %s/%s: criterion %d badly explained: %+v", e.ID, s.ID, i, c)
			}
			pts += c.Points
		}
		if pts != pr.Cost {
			t.Fatalf("pair %s/%s: criteria add up to %d, cost is %d", e.ID, s.ID, pts, pr.Cost)
		}
		if base := pairCost(w, s, e); pr.Cost-pr.Criteria[3].Points != base {
			t.Fatalf("pair %s/%s: cost before load %d, want %d", e.ID, s.ID, pr.Cost-pr.Criteria[3].Points, base)
		}
		sum += pr.Cost
	}
	if !slices.IsSortedFunc(res.Pairs, func(a, b assign.Pair) int {
		return strings.Compare(a.EngagementID+"\x00"+a.SpeakerID, b.EngagementID+"\x00"+b.SpeakerID)
	}) {
		t.Fatal("pairs not in ID order")
	}
	for ei, n := range perE {
		if n > slotsOf(p.Engagements[ei]) {
			t.Fatalf("engagement %s has %d speakers for %d places", p.Engagements[ei].ID, n, slotsOf(p.Engagements[ei]))
		}
	}
	for k, n := range weekUse {
		s := p.Speakers[k.s]
		if s.Load[k.week]+n > s.Limit {
			t.Fatalf("speaker %s over the load limit in %s: %d booked + %d proposed > %d", s.ID, k.week, s.Load[k.week], n, s.Limit)
		}
	}
	for k, n := range blockUse {
		if n > 1 {
			t.Fatalf("overlapping engagements proposed to one speaker: %s ×%d", k, n)
		}
	}
	if sum != res.Cost || referenceCost(p, refs) != res.Cost {
		t.Fatalf("cost: result says %d, pairs add up to %d, reference %d", res.Cost, sum, referenceCost(p, refs))
	}
	// Places: filled + empty = asked for; every empty place explained, and every
	// speaker not proposed for it accounted for.
	slots, missing := 0, 0
	proposed := map[int][]int{}
	for _, r := range refs {
		proposed[r.s] = append(proposed[r.s], r.e)
	}
	unf := map[string]assign.Unfilled{}
	for _, u := range res.Unfilled {
		unf[u.EngagementID] = u
		missing += u.Missing
		if !strings.HasPrefix(u.Key, "assign.unfilled.") || u.Missing <= 0 || !reflect.DeepEqual(u.Args[:2], []any{u.Missing, u.Slots}) {
			t.Fatalf("unfilled %s badly explained: %+v", u.EngagementID, u)
		}
		checkReason(t, u.Reason)
		ei := eIdx[u.EngagementID]
		if len(u.Blocked)+perE[ei] != len(p.Speakers) {
			t.Fatalf("unfilled %s: %d blocked + %d proposed, want %d speakers", u.EngagementID, len(u.Blocked), perE[ei], len(p.Speakers))
		}
		once := map[string]bool{}
		for _, b := range u.Blocked {
			checkReason(t, b.Reason)
			si, ok := sIdx[b.SpeakerID]
			if !ok || once[b.SpeakerID] || seen[pairRef{ei, si}] {
				t.Fatalf("unfilled %s: bad block %+v", u.EngagementID, b)
			}
			once[b.SpeakerID] = true
			if !blockTrue(p, proposed, ei, si, b) {
				t.Fatalf("unfilled %s: block %+v is not true", u.EngagementID, b)
			}
		}
	}
	for ei, e := range p.Engagements {
		slots += slotsOf(e)
		if want := slotsOf(e) - perE[ei]; want > 0 && unf[e.ID].Missing != want {
			t.Fatalf("engagement %s: %d places empty, Unfilled says %d", e.ID, want, unf[e.ID].Missing)
		}
	}
	if res.Slots != slots || res.Filled != len(res.Pairs) || res.Filled+missing != slots {
		t.Fatalf("places: slots %d (want %d), filled %d of %d pairs, missing %d", res.Slots, slots, res.Filled, len(res.Pairs), missing)
	}
	return refs
}

// TestOptimalAgainstBruteForce: on many small random instances the solver fills as
// many places as the best assignment does, at the same least cost.
func TestOptimalAgainstBruteForce(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	r := rand.New(rand.NewPCG(4, 2026))
	filledSum, slotSum, unfilled := 0, 0, 0
	for i := range n {
		in := randomInstance(r, 5, 4)
		res, err := assign.Solve(in.p)
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		checkResult(t, in.p, res)
		wantFilled, wantCost := brute(in.p)
		if res.Filled != wantFilled || res.Cost != wantCost {
			t.Fatalf("instance %d: solver fills %d at cost %d, brute force %d at %d\n%+v", i, res.Filled, res.Cost, wantFilled, wantCost, in.p)
		}
		filledSum += res.Filled
		slotSum += res.Slots
		unfilled += len(res.Unfilled)
	}
	t.Logf("%d instances: %d of %d places filled, %d engagements with empty places", n, filledSum, slotSum, unfilled)
}

// blockTrue says whether what a block says about speaker si and engagement ei holds.
// proposed[si] lists the engagements proposed to speaker si.
func blockTrue(p assign.Problem, proposed map[int][]int, ei, si int, b assign.Blocked) bool {
	e, s := p.Engagements[ei], p.Speakers[si]
	var ok bool
	var why string
	if p.Allowed != nil {
		ok, why = p.Allowed(s, e)
	} else {
		ok = true
	}
	// The solver's other engagements for s in e's week.
	var sameWeek []assign.Engagement
	for _, oi := range proposed[si] {
		if o := p.Engagements[oi]; o.Week == e.Week {
			sameWeek = append(sameWeek, o)
		}
	}
	switch b.Key {
	case "assign.block.rule":
		return !ok && b.RuleReason == why && strings.TrimSpace(why) != ""
	case "assign.block.rule_unspecified":
		return !ok && strings.TrimSpace(why) == ""
	case "assign.block.language":
		return ok && e.Language != "" && !slices.ContainsFunc(s.Languages, func(l string) bool { return strings.EqualFold(l, e.Language) })
	case "assign.block.load_limit":
		return ok && s.Load[e.Week] >= s.Limit
	case "assign.block.week_full":
		return legal(p, s, e) && s.Load[e.Week]+len(sameWeek) == s.Limit
	case "assign.block.overlap":
		return legal(p, s, e) && e.Overlap != "" && slices.ContainsFunc(sameWeek, func(o assign.Engagement) bool {
			return o.ID == b.Args[0] && o.Overlap == e.Overlap
		})
	}
	return false
}

// FuzzOptimal lets the fuzzer pick the random instances: go test -fuzz FuzzOptimal.
func FuzzOptimal(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed, seed*31)
	}
	f.Fuzz(func(t *testing.T, a, b uint64) {
		in := randomInstance(rand.New(rand.NewPCG(a, b)), 5, 4)
		res, err := assign.Solve(in.p)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, in.p, res)
		if filled, cost := brute(in.p); res.Filled != filled || res.Cost != cost {
			t.Fatalf("solver fills %d at %d, brute force %d at %d", res.Filled, res.Cost, filled, cost)
		}
	})
}
