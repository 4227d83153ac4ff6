package im

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Coverage is the outcome of greedy maximum coverage on a set of RR sets.
type Coverage struct {
	Seeds   []uint32 // dense ids, in the order greedy picked them
	Covered int      // sets hit by Seeds
	// Upper bounds the number of sets any k nodes can cover: the minimum over
	// greedy steps i of Covered(S_i) + the k largest marginal gains after
	// S_i (OPIM-C's bound, tighter than Covered/(1-1/e)).
	Upper int
	// Filled counts the seeds at the end that cover no set greedy had
	// left: lowest unused ids, only there to make up k.
	Filled int
}

// MaxCover picks k nodes greedily, each covering the most RR sets not yet
// covered. Marginal gains are kept exact in buckets (doubly linked lists per
// gain value): covering a set decrements the gain of its members by one, so
// the whole run costs O(total size of the sets + k · gain range) with no
// heap and no stale entries. Ties go to the node that reached its bucket
// last, deterministically.
func MaxCover(rr *RRSets, n, k int) Coverage {
	var w coverWork
	return w.maxCover(rr, n, k)
}

// coverWork keeps MaxCover's arrays between the rounds of Select: fresh
// ones per round would be garbage the size of the graph each time, and
// with the graph itself live the collector lets that pile up.
type coverWork struct {
	idxOff, cur      []int
	idx              []uint32
	gain, next, prev []int32
	head, count      []int32
	covered, chosen  []bool
}

func grow[T any](a []T, n int) []T {
	if cap(a) < n {
		return make([]T, n)
	}
	a = a[:n]
	clear(a)
	return a
}

// index builds the inverted index node → sets containing it (idx, by
// counting sort, node v's sets at idx[idxOff[v]:idxOff[v+1]]) and sets each
// node's gain to its number of sets; it returns the largest gain.
func (cw *coverWork) index(rr *RRSets, n int) int {
	cw.idxOff = grow(cw.idxOff, n+1)
	idxOff := cw.idxOff
	for _, v := range rr.Nodes {
		idxOff[v+1]++
	}
	for v := 0; v < n; v++ {
		idxOff[v+1] += idxOff[v]
	}
	cw.idx = grow(cw.idx, len(rr.Nodes))
	idx := cw.idx
	cw.cur = grow(cw.cur, n)
	cur := cw.cur
	copy(cur, idxOff[:n])
	for i := 0; i < rr.Len(); i++ {
		for _, v := range rr.Set(i) {
			idx[cur[v]] = uint32(i)
			cur[v]++
		}
	}
	cw.gain = grow(cw.gain, n)
	gain := cw.gain
	maxg := 0
	for v := 0; v < n; v++ {
		gain[v] = int32(idxOff[v+1] - idxOff[v])
		maxg = max(maxg, int(gain[v]))
	}
	return maxg
}

func (cw *coverWork) maxCover(rr *RRSets, n, k int) Coverage {
	return cw.extend(rr, n, nil, k)
}

// extend is greedy maximum coverage that starts from the fixed seeds and
// adds nodes until there are k. The sets counted in rr.Hits are taken as
// covered by the fixed seeds (they are the sentinels those sets stopped
// at). The upper bound still speaks of any k nodes: for every k-set S*,
// cov(S*) <= cov(S* ∪ S_i) <= cov(S_i) + the k largest gains after S_i,
// whatever the fixed seeds are.
func (cw *coverWork) extend(rr *RRSets, n int, fixed []uint32, k int) Coverage {
	return cw.extendIn(rr, n, fixed, k, nil)
}

// extendIn is extend with the fillers taken from cands (nil: all nodes),
// which must then hold every node the sets hold.
func (cw *coverWork) extendIn(rr *RRSets, n int, fixed []uint32, k int, cands []uint32) Coverage {
	k = min(k, n)
	if cands != nil {
		k = min(k, len(cands))
	}
	maxg := cw.index(rr, n)
	idxOff, idx, gain := cw.idxOff, cw.idx, cw.gain
	cw.head, cw.count = grow(cw.head, maxg+1), grow(cw.count, maxg+1)
	head, count := cw.head, cw.count
	for i := range head {
		head[i] = -1
	}
	cw.next, cw.prev = grow(cw.next, n), grow(cw.prev, n)
	next, prev := cw.next, cw.prev
	link := func(v int32, g int32) {
		prev[v] = -1
		next[v] = head[g]
		if head[g] >= 0 {
			prev[head[g]] = v
		}
		head[g] = v
		count[g]++
	}
	unlink := func(v int32, g int32) {
		if prev[v] >= 0 {
			next[prev[v]] = next[v]
		} else {
			head[g] = next[v]
		}
		if next[v] >= 0 {
			prev[next[v]] = prev[v]
		}
		count[g]--
	}
	for v := n - 1; v >= 0; v-- { // reversed so that lower ids head each bucket
		if gain[v] > 0 {
			link(int32(v), gain[v])
		}
	}
	cw.covered, cw.chosen = grow(cw.covered, rr.Len()), grow(cw.chosen, n)
	covered, chosen := cw.covered, cw.chosen
	// topK sums the k largest current gains by walking the counts down.
	topK := func() int {
		s, left := 0, k
		for g := maxg; g > 0 && left > 0; g-- {
			c := min(int(count[g]), left)
			s += c * g
			left -= c
		}
		return s
	}
	res := Coverage{Upper: math.MaxInt}
	seeds := make([]uint32, 0, k)
	nCovered := rr.Hits
	// The fixed seeds first, then greedy picks; one loop, no closure, as
	// this is the hot path of every round.
	for nextFixed := 0; len(seeds) < k; {
		var u int32
		if nextFixed < len(fixed) {
			u = int32(fixed[nextFixed])
			nextFixed++
			if chosen[u] {
				continue
			}
			if gain[u] > 0 {
				unlink(u, gain[u])
			}
		} else {
			for maxg > 0 && head[maxg] < 0 {
				maxg--
			}
			res.Upper = min(res.Upper, nCovered+topK())
			if maxg == 0 {
				break
			}
			u = head[maxg]
			unlink(u, int32(maxg))
		}
		chosen[u] = true
		seeds = append(seeds, uint32(u))
		for _, si := range idx[idxOff[u]:idxOff[u+1]] {
			if covered[si] {
				continue
			}
			covered[si] = true
			nCovered++
			for _, w := range rr.Set(int(si)) {
				if chosen[w] {
					continue
				}
				g := gain[w]
				unlink(int32(w), g)
				gain[w] = g - 1
				if g > 1 {
					link(int32(w), g-1)
				}
			}
		}
	}
	res.Seeds, res.Covered = seeds, nCovered
	if len(res.Seeds) == k {
		for maxg > 0 && head[maxg] < 0 {
			maxg--
		}
		res.Upper = min(res.Upper, res.Covered+topK())
	}
	// Every set is covered (or no node covers more): any further node adds
	// nothing, so fill up with the lowest unused ids to return k seeds.
	for i := 0; len(res.Seeds) < k; i++ {
		v := uint32(i)
		if cands != nil {
			v = cands[i]
		}
		if !chosen[v] {
			chosen[v] = true
			res.Seeds = append(res.Seeds, v)
			res.Filled++
		}
	}
	return res
}

// CoveredBy counts the sets in rr that contain a node of seeds, plus the
// sentinel hits rr.Hits: seeds must then include the sentinels.
func CoveredBy(rr *RRSets, n int, seeds []uint32) int {
	in := make([]bool, n)
	for _, s := range seeds {
		in[s] = true
	}
	c := rr.Hits
	for i := 0; i < rr.Len(); i++ {
		for _, v := range rr.Set(i) {
			if in[v] {
				c++
				break
			}
		}
	}
	return c
}

// Options configure Select.
type Options struct {
	K       int
	Eps     float64 // approximation slack: the result is (1-1/e-Eps)-optimal (see Budget)
	Delta   float64 // failure probability; <= 0 means 1/n
	Model   Model
	Seed    uint64
	Threads int // <= 0: GOMAXPROCS
	// MaxRRNodes stops sampling once the arena holds this many node
	// entries (memory guard); 0 means no limit. Hitting it is reported.
	MaxRRNodes int
	// Hist chooses HIST-style sentinels for graphs with huge RR sets;
	// the zero value decides from a pilot sample. Only with K.
	Hist HistMode
	// Budget, instead of K, bounds the total cost of the seeds; Costs is
	// the cost per dense node (nil: DefaultCost each). The seeds are then
	// ((1-1/e)/2 - Eps)-optimal among all sets within the budget, and
	// Result.Approx says how much better the bounds could prove.
	Budget float64
	Costs  []float64
	// Targets are the dense nodes whose activation counts, each with its
	// weight in TargetWeights (nil: 1 each; a node listed twice counts
	// with the sum): the spread of a seed set is then the expected sum of
	// the weights of the targets it activates, and every estimate and
	// bound of the Result is in those units. RR sets are rooted at a
	// target drawn in proportion to its weight. Nil Targets count every
	// node once.
	Targets       []uint32
	TargetWeights []float64
	// Candidates are the only dense nodes that may be seeds (nil: all);
	// duplicates are ignored. The guarantee is then against the best seed
	// set of candidates.
	Candidates []uint32
	// Explain fills Result.Gains and Result.Next. The estimate's fresh
	// sample then has at least 65,536 sets, so that gains of a few
	// percent are told apart, and walks every set that meets a seed to its
	// end: a few milliseconds on a tenant's model, more on large graphs.
	Explain bool
}

// Result is a seed set with its estimate and guarantee.
type Result struct {
	Seeds []uint32 // dense ids; empty only if no candidate can reach a target
	// Estimate is Total · coverage / sets in a fresh family drawn after
	// the choice (as many sets as R2): unbiased, unlike R2's coverage, on
	// which the stopping rule depends.
	Estimate float64
	Lower    float64 // lower confidence bound on the spread of Seeds
	UpperOPT float64 // upper confidence bound on the best spread of k candidates, or within the budget
	Approx   float64 // Lower/UpperOPT: the guarantee achieved, w.p. ≥ 1-Delta
	// Ratio is the approximation ratio proven w.p. ≥ 1-Delta: Approx, or
	// the worst-case ratio (1-1/e-Eps, or (1-1/e)/2-Eps with a budget)
	// when the sample reached the size θmax that assures it, if that is
	// more. It is at least 1-1/e-Eps whenever the bounds proved their
	// target before θmax.
	Ratio float64
	Delta float64 // the failure probability used (Options.Delta or 1/n)
	// Total is the unit of the estimates: the sum of the target weights,
	// or the number of nodes without targets.
	Total float64
	// Gains (with Options.Explain) are the marginal gains of Seeds in the
	// order chosen, counted on the estimate's fresh family so that they
	// sum to Estimate: Gains[i] counts the sets that hold Seeds[i] and no
	// earlier seed. The first Sentinels seeds are the exception: a set
	// stops at the first sentinel its walk meets, which gets it, so only
	// their sum is their exact joint gain.
	Gains []float64
	// Next (with Options.Explain) is the best candidate left out, by
	// marginal gain given all of Seeds (per unit of cost with a budget),
	// counted on the same family: what one more seed, or more budget,
	// would buy. Nil when no candidate is left.
	Next    *NextSeed
	Rounds  int
	RRSets  int   // sets drawn in all families: R1, R2 and the estimate's
	RRNodes int64 // their total size
	Capped  bool  // MaxRRNodes stopped the doubling early
	// Sentinels is how many of Seeds (the first ones) were fixed by the
	// HIST sentinel phase; 0 when it did not run.
	Sentinels int
	// PilotMean is the mean size of the pilot RR sets (capped at
	// pilotLimit) that decided on the sentinel phase; 0 with HistOff.
	PilotMean float64
	Pilot     time.Duration // pilot and sentinel choice
	Cost      float64       // total cost of Seeds, with a budget
	Sample    time.Duration
	Greedy    time.Duration
	r2Sets    int // sets in the last R2
	freshSets int // sets in the estimate's family
}

// NextSeed is a candidate not chosen with its marginal gain given the
// seeds (in the units of Result.Total) and its cost (0 without a budget).
type NextSeed struct {
	Node uint32
	Gain float64
	Cost float64
}

// Select runs OPIM-C (Tang, Tang, Xiao, Yuan, SIGMOD 2018): greedy on one
// family of RR sets R1, a lower bound on the spread of its choice from an
// independent family R2 and an upper bound on the optimum from R1; double
// both until the ratio reaches 1-1/e-Eps or the worst-case size θmax
// (where the IMM-style guarantee holds anyway) is reached. It usually stops
// orders of magnitude before θmax.
//
// When RR sets are huge (a pilot says so, or Options.Hist is HistOn), a
// few sentinel seeds are fixed first and the sets stop at them, as HIST
// does (see HistMode); greedy then continues from the sentinels and the
// same bounds decide when to stop.
//
// With Targets, sets are rooted at a target drawn by weight and all
// figures are in weighted units (Result.Total); θmax then rests on a lower
// bound on OPT from the best single paths from candidates to targets
// (optLowerBound), and if no candidate has any path to a target of
// positive weight, no seed is chosen. With Candidates, sets keep only
// candidates, so that greedy, the best single node, the bounds on OPT and
// the HIST sentinels all stay among them.
func Select(g *Graph, opt Options) (*Result, error) {
	n := g.N()
	if n == 0 {
		return nil, errors.New("empty graph")
	}
	withBudget := opt.Budget != 0 || opt.Costs != nil
	alpha := 1 - 1/math.E
	switch {
	case withBudget && opt.K != 0:
		return nil, errors.New("k and a budget exclude each other")
	case withBudget && !(opt.Budget > 0 && !math.IsInf(opt.Budget, 1)):
		return nil, fmt.Errorf("budget must be positive and finite, got %g", opt.Budget)
	case withBudget && opt.Costs != nil && len(opt.Costs) != n:
		return nil, fmt.Errorf("%d costs for %d nodes", len(opt.Costs), n)
	case withBudget && opt.Hist == HistOn:
		return nil, errors.New("the HIST sentinel phase works with k seeds, not with a budget")
	case withBudget:
		alpha = budgetAlpha
	case opt.K < 1:
		return nil, fmt.Errorf("k must be at least 1, got %d", opt.K)
	}
	if !(opt.Eps > 0 && opt.Eps < alpha) {
		return nil, fmt.Errorf("eps must be in (0, %.3f), got %g", alpha, opt.Eps)
	}
	delta := opt.Delta
	if delta <= 0 {
		delta = 1 / float64(n)
	}
	if delta >= 1 {
		return nil, fmt.Errorf("delta must be in (0, 1), got %g", delta)
	}
	var weights []float64
	if opt.Targets != nil || opt.TargetWeights != nil {
		var err error
		if weights, err = checkTargets(n, opt.Targets, opt.TargetWeights); err != nil {
			return nil, err
		}
	}
	var cands []uint32 // sorted; nil: every node
	if opt.Candidates != nil {
		var err error
		if cands, err = checkCandidates(n, opt.Candidates); err != nil {
			return nil, err
		}
	}
	if opt.Model == LT {
		if err := g.CheckLT(); err != nil {
			return nil, err
		}
	}
	s := NewSampler(g, opt.Model, opt.Seed, opt.Threads)
	if weights != nil {
		s.roots = newAliasTable(opt.Targets, weights)
	}
	if cands != nil {
		s.keep = bitset(n, cands)
	}
	res := &Result{Delta: delta, Total: s.Total()}
	var cw coverWork
	if withBudget {
		costs := opt.Costs
		if costs == nil {
			costs = make([]float64, n)
			for i := range costs {
				costs[i] = DefaultCost
			}
		}
		for v, c := range costs {
			if !(c >= 0 && !math.IsInf(c, 1)) {
				return nil, fmt.Errorf("node %d: cost %g must be finite and not negative", g.IDs[v], c)
			}
		}
		pb, err := budgeted(&cw, n, costs, opt.Budget, cands)
		if err != nil {
			return nil, err
		}
		if weights != nil {
			var affordable []uint32
			for _, v := range orAll(cands, n) {
				if costs[v] <= opt.Budget {
					affordable = append(affordable, v)
				}
			}
			if pb.optLow = optLowerBound(g, opt.Targets, weights, affordable, 1); pb.optLow == 0 {
				return unreachable(res), nil
			}
		}
		_, atMax := opimc(s, pb, opt.Eps, delta, opt.MaxRRNodes, streamR1, streamR2, res)
		res.proven(atMax, alpha, opt.Eps)
		freshEstimate(s, res, cands, costs, opt.Explain)
		for _, v := range res.Seeds {
			res.Cost += costs[v]
		}
		return res, nil
	}
	nc := n
	if cands != nil {
		nc = len(cands)
	}
	k := min(opt.K, nc)
	optLow := float64(k)
	if weights != nil {
		if optLow = optLowerBound(g, opt.Targets, weights, cands, k); optLow == 0 {
			return unreachable(res), nil
		}
	}
	var sentinels []uint32
	if opt.Hist != HistOff {
		t0 := time.Now()
		sentinels, res.PilotMean = chooseSentinels(s, k, opt.Hist == HistOn)
		res.Pilot = time.Since(t0)
	}
	if len(sentinels) == 0 {
		_, atMax := opimc(s, cardinality(&cw, n, nil, k, cands, optLow), opt.Eps, delta, opt.MaxRRNodes, streamR1, streamR2, res)
		res.proven(atMax, alpha, opt.Eps)
		freshEstimate(s, res, cands, nil, opt.Explain)
		return res, nil
	}
	// Sentinels: the worst-case size θmax no longer implies the ratio
	// (the sentinels are not greedy's own first picks on R1), so if the
	// bounds have not proven it by then, plain OPIM-C runs on fresh
	// families. Each run gets δ/2, so that the result holds w.p. 1-δ
	// either way.
	s.StopAt(sentinels)
	res.Sentinels = len(sentinels)
	if ok, _ := opimc(s, cardinality(&cw, n, sentinels, k, cands, optLow), opt.Eps, delta/2, opt.MaxRRNodes, streamR1, streamR2, res); ok || res.Capped {
		res.proven(false, alpha, opt.Eps)
		freshEstimate(s, res, cands, nil, opt.Explain)
		return res, nil
	}
	s.StopAt(nil)
	res.Sentinels = 0
	rounds, sets := res.Rounds, res.RRSets
	_, atMax := opimc(s, cardinality(&cw, n, nil, k, cands, optLow), opt.Eps, delta/2, opt.MaxRRNodes, streamR1b, streamR2b, res)
	res.proven(atMax, alpha, opt.Eps)
	res.Rounds += rounds
	res.RRSets += sets
	freshEstimate(s, res, cands, nil, opt.Explain)
	return res, nil
}

// proven sets Ratio from Approx and, if the sample reached θmax (which
// assures alpha-eps for greedy's own choice), that worst-case ratio.
func (res *Result) proven(atMax bool, alpha, eps float64) {
	res.Ratio = res.Approx
	if atMax {
		res.Ratio = max(res.Ratio, alpha-eps)
	}
}

// unreachable is the result when no candidate has a path to a target of
// positive weight: every seed set, the empty one included, reaches
// nobody, so no seed is chosen and that is optimal.
func unreachable(res *Result) *Result {
	res.Approx, res.Ratio = 1, 1
	return res
}

// orAll is cands, or every node 0..n-1 when cands is nil.
func orAll(cands []uint32, n int) []uint32 {
	if cands != nil {
		return cands
	}
	all := make([]uint32, n)
	for i := range all {
		all[i] = uint32(i)
	}
	return all
}

// problem is what the doubling loop of OPIM-C needs to know about the
// seed sets allowed.
type problem struct {
	// cover picks seeds on R1 and bounds the coverage of any allowed set.
	cover func(r1 *RRSets) Coverage
	alpha float64 // the ratio cover guarantees: 1-1/e, or (1-1/e)/2 with a budget
	// target is the ratio the loop tries to prove before θmax, less eps.
	target float64
	// optLow <= OPT, in the units of Sampler.Total: k (or the most nodes
	// that fit the budget) without targets, as every seed reaches itself;
	// optLowerBound's path bound with targets.
	optLow float64
	// lnSets is ln of the number of allowed seed sets (a bound), for the
	// worst-case sample size θmax.
	lnSets float64
}

// cardinality is the problem of choosing k seeds, greedy starting from
// the fixed sentinels (whose sets the sampler stops at).
// Only cands (sorted; nil: all) may be seeds; the sets R1 holds nothing
// else (Sampler.keep), which leaves only the fillers to restrict.
func cardinality(cw *coverWork, n int, sentinels []uint32, k int, cands []uint32, optLow float64) problem {
	nc := n
	if cands != nil {
		nc = len(cands)
	}
	return problem{
		cover:  func(r1 *RRSets) Coverage { return cw.extendIn(r1, n, sentinels, k, cands) },
		alpha:  1 - 1/math.E,
		target: 1 - 1/math.E,
		optLow: optLow,
		lnSets: lnChoose(nc, k),
	}
}

// opimc is the doubling loop of OPIM-C, drawing families stream1 and
// stream2. It fills res (adding to its times) and reports whether the
// bounds proved the target ratio less eps, and whether R1 reached θmax.
//
// With targets every set is rooted at a target drawn by weight, so a seed
// set covers a set with probability spread/W (W = Sampler.Total, the
// total weight): the bounds, which are about that coverage fraction, are
// scaled by W instead of n, and θmax, which rests on OPT >= k nodes, on
// OPT/W >= optLow/W instead.
func opimc(s *Sampler, pb problem, eps, delta float64, maxRRNodes int, stream1, stream2 uint64, res *Result) (proven, atMax bool) {
	n := s.g.N()
	nf := s.Total()
	e1 := pb.alpha
	thetaMax := 2 * nf * math.Pow(e1*math.Sqrt(math.Log(6/delta))+math.Sqrt(e1*(pb.lnSets+math.Log(6/delta))), 2) / (eps * eps * pb.optLow)
	theta0 := thetaMax * eps * eps * pb.optLow / nf
	iMax := max(1, int(math.Ceil(math.Log2(thetaMax/theta0)))) + 1
	a := math.Log(3 * float64(iMax) / delta)

	r1, r2 := newRRSets(), newRRSets()
	target := int(math.Ceil(theta0))
	extra := 0
	for round := 1; ; round++ {
		t0 := time.Now()
		s.Extend(r1, stream1, target-r1.Drawn())
		s.Extend(r2, stream2, target-r2.Drawn())
		t1 := time.Now()
		cov := pb.cover(r1)
		lam2 := float64(CoveredBy(r2, n, cov.Seeds))
		res.Sample += t1.Sub(t0)
		res.Greedy += time.Since(t1)
		th1, th2 := float64(r1.Drawn()), float64(r2.Drawn())
		lower := (math.Pow(math.Sqrt(lam2+2*a/9)-math.Sqrt(a/2), 2) - a/18) * nf / th2
		upper := math.Pow(math.Sqrt(float64(cov.Upper)+a/2)+math.Sqrt(a/2), 2) * nf / th1
		res.Seeds = cov.Seeds
		res.Estimate = lam2 * nf / th2
		res.Lower = max(lower, 0)
		res.UpperOPT = upper
		res.Approx = res.Lower / upper
		res.Rounds = round
		res.RRSets = r1.Drawn() + r2.Drawn()
		res.r2Sets = r2.Drawn()
		res.RRNodes = int64(len(r1.Nodes) + len(r2.Nodes))
		proven := res.Approx >= pb.target-eps
		if round >= iMax || th1 >= thetaMax {
			return proven, th1 >= thetaMax
		}
		if proven {
			// If greedy ran out of sets before k, the last seeds are mere
			// fillers while more sets would tell which nodes still add
			// something; a few more doublings are cheap then (sets are
			// small, or greedy could not have covered them all), and the
			// bounds of every round hold at once, so stopping later keeps
			// the guarantee.
			if cov.Filled == 0 || extra >= maxFillRounds {
				return true, false
			}
			extra++
		}
		if maxRRNodes > 0 && 2*res.RRNodes > int64(maxRRNodes) {
			res.Capped = true
			return proven, false
		}
		target = min(2*r1.Drawn(), int(math.Ceil(thetaMax)))
	}
}

// maxFillRounds bounds the doublings Select adds after the guarantee is
// proven, to replace filler seeds by useful ones.
const maxFillRounds = 4

// lnChoose is ln C(n, k) via log-gamma, exact enough for a sample bound.
func lnChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}
