package im

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// spreadW is the exact expected sum of wt over the nodes seeds activate.
func (ex *exact) spreadW(seeds []uint32, wt []float64) float64 {
	s := 0.0
	for w, reach := range ex.reach {
		var m uint32
		for _, v := range seeds {
			m |= reach[v]
		}
		x := 0.0
		for ; m != 0; m &= m - 1 {
			x += wt[bits.TrailingZeros32(m)]
		}
		s += ex.weight[w] * x
	}
	return s
}

// optW is the best weighted spread of a subset of cands that fit: at
// most k nodes, or (k < 0) cost at most budget. It returns the value and
// one set reaching it.
func (ex *exact) optW(wt []float64, cands []uint32, k int, costs []float64, budget float64) (float64, []uint32) {
	best, bestSet := 0.0, []uint32(nil)
	for mask := 1; mask < 1<<len(cands); mask++ {
		var seeds []uint32
		c := 0.0
		for i, v := range cands {
			if mask>>i&1 == 1 {
				seeds = append(seeds, v)
				if costs != nil {
					c += costs[v]
				}
			}
		}
		if (k >= 0 && len(seeds) > k) || (k < 0 && c > budget) {
			continue
		}
		if s := ex.spreadW(seeds, wt); s > best {
			best, bestSet = s, seeds
		}
	}
	return best, bestSet
}

// nodeWeights merges targets and weights into a weight per node.
func nodeWeights(n int, targets []uint32, weights []float64) []float64 {
	wt := make([]float64, n)
	for i, v := range targets {
		wt[v] += weights[i]
	}
	return wt
}

// randomTargets picks a random non-empty subset of nodes with weights
// that include zeros, small and large values, and sometimes a node twice.
func randomTargets(r *rand.Rand, n int) ([]uint32, []float64) {
	var targets []uint32
	var weights []float64
	for _, v := range r.Perm(n)[:1+r.IntN(n)] {
		targets = append(targets, uint32(v))
		switch r.IntN(5) {
		case 0:
			weights = append(weights, 0)
		case 1:
			weights = append(weights, 1+float64(r.IntN(200)))
		default:
			weights = append(weights, math.Round(r.Float64()*100)/10)
		}
	}
	if r.IntN(4) == 0 {
		targets = append(targets, targets[0])
		weights = append(weights, 2.5)
	}
	if sumOf(weights) == 0 {
		weights[0] = 1
	}
	return targets, weights
}

func randomCandidates(r *rand.Rand, n int) []uint32 {
	var c []uint32
	for _, v := range r.Perm(n)[:1+r.IntN(n)] {
		c = append(c, uint32(v))
	}
	return c
}

var weightedTargets = []uint32{0, 3, 5, 2, 6, 3}
var weightedWeights = []float64{10, 0.5, 120, 0, 7, 2} // node 3 twice: 2.5 in all

// The RR estimator rooted by target weight and the weighted Monte Carlo
// evaluator both agree with enumeration of every live-edge world, on
// every sampler path; keeping only candidates in the sets changes no
// coverage count of a candidate seed set.
func TestWeightedEstimatorsMatchExact(t *testing.T) {
	for _, tg := range tinyGraphs {
		for _, model := range []Model{IC, LT} {
			g := mustGraph(t, edgeText(tg.edges))
			if model == LT && g.CheckLT() != nil {
				continue
			}
			n := g.N()
			var targets []uint32
			var weights []float64
			for i, v := range weightedTargets {
				if int(v) < n {
					targets, weights = append(targets, v), append(weights, weightedWeights[i])
				}
			}
			wt := nodeWeights(n, targets, weights)
			ex := enumerate(g, model)
			s := NewSampler(g, model, 7, 2)
			s.roots = newAliasTable(targets, weights)
			total := s.Total()
			rr := newRRSets()
			const theta = 200000
			s.Extend(rr, streamR1, theta)
			cands := []uint32{0, 2, 4}
			kept := newRRSets()
			s.keep = bitset(n, cands)
			s.Extend(kept, streamR1, theta)
			s.keep = nil
			if len(kept.Nodes) >= len(rr.Nodes) {
				t.Errorf("%s: keeping candidates stored %d entries of %d", tg.name, len(kept.Nodes), len(rr.Nodes))
			}
			f := g.Forward()
			for _, seeds := range [][]uint32{{0}, {1}, {3}, {0, 4}, {2, 5 % uint32(n)}} {
				want := ex.spreadW(seeds, wt)
				frac := float64(CoveredBy(rr, n, seeds)) / theta
				got := total * frac
				sd := total * math.Sqrt(max(frac*(1-frac), 1e-9)/theta)
				if math.Abs(got-want) > 5*sd+1e-9 {
					t.Errorf("%s/%v seeds %v: RR estimate %.4f, exact %.4f (sd %.4f)", tg.name, model, seeds, got, want, sd)
				}
				sp := MonteCarloWeighted(g, f, model, seeds, targets, weights, 40000, 11, 2)
				if math.Abs(sp.Mean-want) > 5*sp.StdErr+1e-9 {
					t.Errorf("%s/%v seeds %v: weighted Monte Carlo %.4f ± %.4f, exact %.4f", tg.name, model, seeds, sp.Mean, sp.StdErr, want)
				}
				if in := uniq(seeds); !slices.ContainsFunc(in, func(v uint32) bool { return !slices.Contains(cands, v) }) {
					if a, b := CoveredBy(rr, n, seeds), CoveredBy(kept, n, seeds); a != b {
						t.Errorf("%s/%v seeds %v: %d sets covered, %d with candidates only", tg.name, model, seeds, a, b)
					}
				}
			}
			// Without targets MonteCarloWeighted is MonteCarlo.
			a := MonteCarlo(g, f, model, []uint32{1}, 500, 3, 2)
			b := MonteCarloWeighted(g, f, model, []uint32{1}, nil, nil, 500, 3, 1)
			if math.Abs(a.Mean-b.Mean) > 1e-9 || math.Abs(a.StdErr-b.StdErr) > 1e-9 {
				t.Errorf("%s: MonteCarlo %+v, MonteCarloWeighted without targets %+v", tg.name, a, b)
			}
		}
	}
}

// Draws follow the weights: a zero weight is never drawn, a duplicate
// counts with the sum, and every frequency is within 5 sd.
func TestAliasTable(t *testing.T) {
	for _, c := range []struct {
		nodes   []uint32
		weights []float64
	}{
		{[]uint32{4}, []float64{3}},
		{[]uint32{1, 2, 3}, []float64{1, 1, 1}},
		{[]uint32{0, 1, 2, 3, 4, 5, 6}, []float64{0, 1, 2, 3, 0.5, 10, 0}},
		{[]uint32{9, 8, 9, 7}, []float64{1e-6, 5, 2, 1e6}},
	} {
		a := newAliasTable(c.nodes, c.weights)
		want := map[uint32]float64{}
		for i, v := range c.nodes {
			want[v] += c.weights[i] / a.total
		}
		const draws = 1_000_000
		got := map[uint32]int{}
		r := newRNG(1, 2, 3)
		for range draws {
			got[a.draw(&r)]++
		}
		for v, cnt := range got {
			p := want[v]
			if p == 0 {
				t.Errorf("%v: node %d of weight 0 drawn %d times", c.weights, v, cnt)
				continue
			}
			sd := math.Sqrt(p * (1 - p) / draws)
			if f := float64(cnt) / draws; math.Abs(f-p) > 5*sd+1e-12 {
				t.Errorf("%v: node %d drawn with frequency %.6f, want %.6f", c.weights, v, f, p)
			}
		}
	}
}

// optLowerBound sizes θmax, so it must never exceed the optimum; it is
// zero exactly when the optimum is.
func TestOptLowerBoundBelowOPT(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for trial := 0; trial < 200; trial++ {
		n := 5 + r.IntN(6)
		g := mustGraph(t, randomGraph(r, n, min(12, n-1+r.IntN(6)), trial%2 == 0))
		targets, weights := randomTargets(r, n)
		cands := randomCandidates(r, n)
		wt := nodeWeights(n, targets, weights)
		for _, model := range []Model{IC, LT} {
			if model == LT && g.CheckLT() != nil {
				continue
			}
			ex := enumerate(g, model)
			for k := 1; k <= 3; k++ {
				low := optLowerBound(g, targets, weights, cands, k)
				best, _ := ex.optW(wt, cands, k, nil, 0)
				if low > best*(1+1e-9)+1e-12 || (low == 0) != (best == 0) {
					t.Fatalf("trial %d %v k=%d: lower bound %.6g, OPT %.6g (targets %v %v, candidates %v)", trial, model, k, low, best, targets, weights, cands)
				}
			}
		}
	}
}

func inCands(cands []uint32, seeds []uint32) bool {
	for _, v := range seeds {
		if !slices.Contains(cands, v) {
			return false
		}
	}
	return true
}

// checkExplained checks Gains and Next against exact marginal gains: the
// gains sum to the estimate, each is within 5 sd of the exact marginal
// gain (the sentinels as one), and Next is a candidate left out whose
// exact marginal gain (per cost) is within 10 sd of the best one's.
func checkExplained(t *testing.T, what string, ex *exact, wt []float64, res *Result, cands []uint32, costs []float64) {
	t.Helper()
	if len(res.Gains) != len(res.Seeds) {
		t.Fatalf("%s: %d gains for %d seeds", what, len(res.Gains), len(res.Seeds))
	}
	sum := 0.0
	for _, gn := range res.Gains {
		sum += gn
		if gn < 0 {
			t.Errorf("%s: negative gain in %v", what, res.Gains)
		}
	}
	if math.Abs(sum-res.Estimate) > 1e-9*max(1, res.Estimate) {
		t.Errorf("%s: gains %v sum to %.6f, estimate %.6f", what, res.Gains, sum, res.Estimate)
	}
	sets := float64(res.freshSets)
	sd := func(x float64) float64 {
		p := min(max(x/res.Total, 1/sets), 1)
		return res.Total * math.Sqrt(p*(1-p)/sets)
	}
	first := max(1, res.Sentinels)
	exactGain := ex.spreadW(res.Seeds[:first], wt)
	gotGain := sumOf(res.Gains[:first])
	if math.Abs(gotGain-exactGain) > 5*sd(exactGain)+1e-6*res.Total {
		t.Errorf("%s: first %d seeds gain %.4f, exact %.4f", what, first, gotGain, exactGain)
	}
	for i := first; i < len(res.Seeds); i++ {
		want := ex.spreadW(res.Seeds[:i+1], wt) - ex.spreadW(res.Seeds[:i], wt)
		if math.Abs(res.Gains[i]-want) > 5*sd(want)+1e-6*res.Total {
			t.Errorf("%s: seed %d gain %.4f, exact %.4f", what, i, res.Gains[i], want)
		}
	}
	left := 0
	base := ex.spreadW(res.Seeds, wt)
	bestScore, bestGain := math.Inf(-1), 0.0
	score := func(v uint32, gain float64) float64 {
		if costs == nil {
			return gain
		}
		if costs[v] == 0 {
			if gain > 1e-12 {
				return math.Inf(1)
			}
			return 0
		}
		return gain / costs[v]
	}
	for _, v := range cands {
		if slices.Contains(res.Seeds, v) {
			continue
		}
		left++
		gain := ex.spreadW(append(slices.Clone(res.Seeds), v), wt) - base
		if s := score(v, gain); s > bestScore {
			bestScore, bestGain = s, gain
		}
	}
	if left == 0 {
		if res.Next != nil {
			t.Errorf("%s: no candidate left, yet Next = %+v", what, *res.Next)
		}
		return
	}
	if res.Next == nil {
		t.Fatalf("%s: %d candidates left, Next is nil", what, left)
	}
	v := res.Next.Node
	if slices.Contains(res.Seeds, v) || !slices.Contains(cands, v) {
		t.Fatalf("%s: Next %d is a seed or not a candidate", what, v)
	}
	gain := ex.spreadW(append(slices.Clone(res.Seeds), v), wt) - base
	if math.Abs(res.Next.Gain-gain) > 5*sd(gain)+1e-6*res.Total {
		t.Errorf("%s: Next %d gain %.4f, exact %.4f", what, v, res.Next.Gain, gain)
	}
	if costs != nil && res.Next.Cost != costs[v] {
		t.Errorf("%s: Next cost %g, want %g", what, res.Next.Cost, costs[v])
	}
	if s := score(v, gain); s < bestScore && bestGain-gain > 10*sd(bestGain)+1e-6*res.Total && !math.IsInf(bestScore, 1) {
		t.Errorf("%s: Next %d adds %.4f (score %.4f), the best left adds %.4f (score %.4f)", what, v, gain, s, bestGain, bestScore)
	}
}

// On many small random instances with weighted targets and candidates,
// with k and with budgets, under IC and LT, with and without sentinels:
// the seeds are candidates, fit, and their exact spread is at least the
// ratio Select claims times the brute-force optimum over candidate sets,
// which is at least the nominal 1-1/e-ε (or (1-1/e)/2-ε); the bounds
// enclose the exact values; the estimate, the gains and Next agree with
// the exact values. Each claim may fail with probability δ = 0.01 per
// instance; the streams are fixed, so this test is deterministic.
func TestWeightedGuaranteeAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	const eps = 0.1
	runs, withSentinels, zero := 0, 0, 0
	for trial := 0; trial < 100; trial++ {
		n := 6 + r.IntN(5)
		text := randomGraph(r, n, min(12, n-1+r.IntN(6)), trial%2 == 0)
		g := mustGraph(t, text)
		targets, weights := randomTargets(r, n)
		cands := randomCandidates(r, n)
		costs := randomCosts(r, n)
		budget := 0.5 + r.Float64()*4
		wt := nodeWeights(n, targets, weights)
		for _, model := range []Model{IC, LT} {
			if model == LT && g.CheckLT() != nil {
				continue
			}
			ex := enumerate(g, model)
			for _, k := range []int{1, 2, 3, -1} {
				opt := Options{K: k, Eps: eps, Delta: 0.01, Model: model, Seed: uint64(trial), Threads: 2,
					Targets: targets, TargetWeights: weights, Candidates: cands, Explain: true}
				alpha := 1 - 1/math.E
				var best float64
				if k < 0 {
					opt.K, opt.Budget, opt.Costs, alpha = 0, budget, costs, budgetAlpha
					best, _ = ex.optW(wt, cands, -1, costs, budget)
				} else {
					best, _ = ex.optW(wt, cands, k, nil, 0)
					opt.Hist = []HistMode{HistAuto, HistOn, HistOff}[trial%3]
				}
				what := fmt.Sprintf("trial %d %v k=%d", trial, model, k)
				res, err := Select(g, opt)
				if err != nil {
					if k < 0 && strings.Contains(err.Error(), "no candidate costs at most") {
						continue
					}
					t.Fatalf("%s: %v", what, err)
				}
				runs++
				if res.Sentinels > 0 {
					withSentinels++
				}
				if !inCands(cands, res.Seeds) || len(uniq(res.Seeds)) != len(res.Seeds) {
					t.Fatalf("%s: seeds %v, candidates %v", what, res.Seeds, cands)
				}
				if best == 0 {
					if len(res.Seeds) != 0 || res.Estimate != 0 || res.Ratio != 1 {
						t.Errorf("%s: nothing reaches a target, yet %+v", what, res)
					}
					zero++
					continue
				}
				if k > 0 && len(res.Seeds) != min(k, len(uniq(cands))) {
					t.Errorf("%s: %d seeds, want %d", what, len(res.Seeds), min(k, len(uniq(cands))))
				}
				if k < 0 && res.Cost > budget {
					t.Errorf("%s: cost %g > budget %g", what, res.Cost, budget)
				}
				got := ex.spreadW(res.Seeds, wt)
				if res.Ratio < alpha-eps-1e-12 || got < res.Ratio*best-1e-9 {
					t.Errorf("%s: spread %.4f, OPT %.4f, claimed ratio %.4f (nominal %.4f)\n%s", what, got, best, res.Ratio, alpha-eps, text)
				}
				if res.Lower > got+1e-9 || res.UpperOPT < best-1e-9 {
					t.Errorf("%s: bounds [%.4f, %.4f] miss spread %.4f / OPT %.4f", what, res.Lower, res.UpperOPT, got, best)
				}
				if math.Abs(res.Total-sumOf(weights)) > 1e-6*res.Total {
					t.Errorf("%s: total %g, weights sum to %g", what, res.Total, sumOf(weights))
				}
				sets := float64(res.freshSets)
				p := min(max(got/res.Total, 1/sets), 1)
				if sd := res.Total * math.Sqrt(p*(1-p)/sets); math.Abs(res.Estimate-got) > 5*sd+1e-6*res.Total {
					t.Errorf("%s: estimate %.12g, exact %.12g (sd %.4f, total %.12g)", what, res.Estimate, got, sd, res.Total)
				}
				var c []float64
				if k < 0 {
					c = costs
				}
				checkExplained(t, what, ex, wt, res, uniq(cands), c)
			}
		}
	}
	if runs < 500 || withSentinels < 50 || zero == 0 {
		t.Errorf("%d instances ran, %d with sentinels, %d where nothing reaches a target", runs, withSentinels, zero)
	}
	t.Logf("%d instances, %d with sentinels, %d where nothing reaches a target", runs, withSentinels, zero)
}

func sumOf(a []float64) float64 {
	s := 0.0
	for _, x := range a {
		s += x
	}
	return s
}

// On larger graphs, with the sentinel phase forced or not, with budgets
// and with k above the number of candidates: no seed, sentinel or filler
// is ever a non-candidate, and neither is Next.
func TestCandidatesNeverViolated(t *testing.T) {
	text := rmatText(t, 2048, 10000, 6)
	r := rand.New(rand.NewPCG(41, 42))
	for gi, gt := range []string{text, highInfluence(t, text, 3)} {
		g := mustGraph(t, gt)
		n := g.N()
		for trial := 0; trial < 6; trial++ {
			var cands []uint32
			for _, v := range r.Perm(n)[:1+r.IntN(n/20)] {
				cands = append(cands, uint32(v))
			}
			targets, weights := []uint32(nil), []float64(nil)
			if trial%2 == 1 {
				for _, v := range r.Perm(n)[:n/3] {
					targets, weights = append(targets, uint32(v)), append(weights, 1+r.Float64()*99)
				}
			}
			costs := make([]float64, n)
			for i := range costs {
				costs[i] = float64(1 + r.IntN(4))
			}
			for _, opt := range []Options{
				{K: 20, Hist: HistOn},
				{K: 20, Hist: HistAuto},
				{K: len(cands) + 5, Hist: HistOff},
				{Budget: 15, Costs: costs},
			} {
				// Explanations walk 65,536 whole sets, which on the
				// high-influence graph are huge unless they stop at
				// sentinels.
				opt.Eps, opt.Seed, opt.Threads, opt.Explain = 0.3, uint64(trial), 2, gi == 0 || opt.Hist == HistOn
				opt.Candidates, opt.Targets, opt.TargetWeights = cands, targets, weights
				res, err := Select(g, opt)
				if err != nil {
					if strings.Contains(err.Error(), "no candidate costs") {
						continue
					}
					t.Fatal(err)
				}
				what := fmt.Sprintf("graph %d trial %d k=%d hist=%v budget=%g", gi, trial, opt.K, opt.Hist, opt.Budget)
				if !inCands(cands, res.Seeds) || len(uniq(res.Seeds)) != len(res.Seeds) {
					t.Fatalf("%s: seeds %v not distinct candidates", what, res.Seeds)
				}
				if res.Next != nil && (!slices.Contains(cands, res.Next.Node) || slices.Contains(res.Seeds, res.Next.Node)) {
					t.Fatalf("%s: Next %d", what, res.Next.Node)
				}
				if opt.K > len(cands) && len(res.Seeds) != len(cands) {
					t.Errorf("%s: %d seeds of %d candidates", what, len(res.Seeds), len(cands))
				}
				if opt.Budget > 0 && res.Cost > opt.Budget {
					t.Errorf("%s: cost %g", what, res.Cost)
				}
				if res.Sentinels > 0 && gi == 0 && opt.Hist != HistOn {
					t.Errorf("%s: sentinels on the weighted-cascade graph", what)
				}
			}
		}
	}
}

func TestWeightedOptionErrors(t *testing.T) {
	g := mustGraph(t, "0 1\n1 2\n2 0\n")
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{K: 1, Targets: []uint32{}}, "empty list of targets"},
		{Options{K: 1, TargetWeights: []float64{1}}, "weights without targets"},
		{Options{K: 1, Targets: []uint32{0, 3}}, "node 3 is not in the graph"},
		{Options{K: 1, Targets: []uint32{0, 1}, TargetWeights: []float64{1}}, "1 target weights for 2 targets"},
		{Options{K: 1, Targets: []uint32{0, 1}, TargetWeights: []float64{1, -1}}, "weight -1 must be finite"},
		{Options{K: 1, Targets: []uint32{0}, TargetWeights: []float64{math.NaN()}}, "weight NaN"},
		{Options{K: 1, Targets: []uint32{0}, TargetWeights: []float64{math.Inf(1)}}, "weight +Inf"},
		{Options{K: 1, Targets: []uint32{0, 1}, TargetWeights: []float64{0, 0}}, "sum to 0"},
		{Options{K: 1, Targets: []uint32{0, 1}, TargetWeights: []float64{math.MaxFloat64, math.MaxFloat64}}, "sum to +Inf"},
		{Options{K: 1, Candidates: []uint32{}}, "empty list of candidates"},
		{Options{K: 1, Candidates: []uint32{1, 7}}, "candidate node 7 is not in the graph"},
		{Options{Budget: 1, Costs: []float64{1, 2, 3}, Candidates: []uint32{1, 2}}, "no candidate costs at most the budget 1 (the cheapest costs 2)"},
	} {
		c.opt.Eps = 0.1
		if _, err := Select(g, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.opt, err, c.want)
		}
	}
}

// Candidates with no path to a target: no seed, nothing reached, and
// that is optimal.
func TestUnreachableTargets(t *testing.T) {
	g := mustGraph(t, "0 1 0.5\n1 2 0.5\n3 4 1\n4 0 0\n")
	for _, opt := range []Options{
		{K: 2, Eps: 0.1, Targets: []uint32{0, 3}, Candidates: []uint32{1, 2, 4}, Explain: true},
		{Budget: 3, Eps: 0.1, Targets: []uint32{3}, TargetWeights: []float64{5}, Candidates: []uint32{0, 1}},
		{K: 1, Eps: 0.1, Targets: []uint32{0, 2}, TargetWeights: []float64{0, 0.5}, Candidates: []uint32{3}},
	} {
		res, err := Select(g, opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Seeds) != 0 || res.Estimate != 0 || res.Ratio != 1 || res.Next != nil {
			t.Errorf("%+v: %+v", opt, res)
		}
	}
	// One reachable target is enough to choose.
	res, err := Select(g, Options{K: 1, Eps: 0.1, Targets: []uint32{2}, Candidates: []uint32{0, 3}, Explain: true})
	if err != nil || !slices.Equal(res.Seeds, []uint32{0}) || math.Abs(res.Estimate-0.25) > 0.1 {
		t.Errorf("reachable: %+v, %v", res, err)
	}
}

// A tenant-shaped reach model: options seeded into channels (p = 1),
// pickups between channels, and channels reaching audience cells, each
// cell with a number of people. Dense ids: options [0, O), channels
// [O, O+C), cells [O+C, O+C+L). Targets are the cells of 2 of 10
// communities, weighted by size; candidates are the options.
type reachModel struct {
	text                  string
	targets, cands        []uint32
	weights, costs        []float64
	options, chans, cells int
}

func newReachModel(r *rand.Rand, options, chans, cells int) reachModel {
	const communities = 10
	var b strings.Builder
	m := reachModel{options: options, chans: chans, cells: cells}
	ch := func(i int) int { return options + i }
	cell := func(i int) int { return options + chans + i }
	// Popular channels are picked more often: a square law over a uniform.
	pick := func() int { x := r.Float64(); return int(x * x * float64(chans)) }
	for o := 0; o < options; o++ {
		fmt.Fprintf(&b, "%d %d 1\n", o, ch(pick()))
	}
	type key struct{ u, v int }
	seen := map[key]bool{}
	for c := 0; c < chans; c++ {
		for range 4 {
			d := pick()
			if d != c && !seen[key{c, d}] {
				seen[key{c, d}] = true
				fmt.Fprintf(&b, "%d %d %.3f\n", ch(c), ch(d), 0.02+r.Float64()*0.2)
			}
		}
	}
	// Each channel serves mostly one community's cells.
	per := cells / communities
	reached := make([]bool, cells)
	for c := 0; c < chans; c++ {
		home := r.IntN(communities)
		for range 30 {
			var x int
			if r.IntN(4) > 0 {
				x = home*per + r.IntN(per)
			} else {
				x = r.IntN(cells)
			}
			if !seen[key{ch(c), cell(x)}] {
				seen[key{ch(c), cell(x)}] = true
				reached[x] = true
				fmt.Fprintf(&b, "%d %d %.3f\n", ch(c), cell(x), 0.005+r.Float64()*0.2)
			}
		}
	}
	for x, ok := range reached {
		if !ok {
			fmt.Fprintf(&b, "%d %d %.3f\n", ch(r.IntN(chans)), cell(x), 0.05)
		}
	}
	m.text = b.String()
	for x := 0; x < 2*per; x++ {
		m.targets = append(m.targets, uint32(cell(x)))
		m.weights = append(m.weights, math.Round(math.Exp(6+2*r.NormFloat64())))
	}
	for o := 0; o < options; o++ {
		m.cands = append(m.cands, uint32(o))
	}
	m.costs = make([]float64, options+chans+cells)
	for o := 0; o < options; o++ {
		m.costs[o] = float64(1 + r.IntN(5))
	}
	return m
}

func (m reachModel) graph(t testing.TB) *Graph {
	g := mustGraph(t, m.text)
	if g.N() != m.options+m.chans+m.cells {
		t.Fatalf("%d nodes, want %d", g.N(), m.options+m.chans+m.cells)
	}
	return g
}

// On a small tenant-shaped model the estimate agrees with independent
// weighted Monte Carlo, the lower bound stays below it, the result does
// not depend on threads, and greedy beats choosing the options with the
// best single reach.
func TestReachModelAgainstMonteCarlo(t *testing.T) {
	m := newReachModel(rand.New(rand.NewPCG(51, 52)), 100, 300, 1000)
	g := m.graph(t)
	f := g.Forward()
	for _, opt := range []Options{{K: 5}, {Budget: 8, Costs: m.costs}} {
		opt.Eps, opt.Seed, opt.Explain = 0.1, 3, true
		opt.Targets, opt.TargetWeights, opt.Candidates = m.targets, m.weights, m.cands
		var first *Result
		for _, th := range []int{1, 2} {
			opt.Threads = th
			res, err := Select(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = res
				continue
			}
			if !slices.Equal(res.Seeds, first.Seeds) || res.Estimate != first.Estimate || !slices.Equal(res.Gains, first.Gains) || *res.Next != *first.Next {
				t.Errorf("threads change the result: %v %v vs %v %v", res.Seeds, res.Gains, first.Seeds, first.Gains)
			}
		}
		res := first
		sp := MonteCarloWeighted(g, f, IC, res.Seeds, m.targets, m.weights, 20000, 5, 2)
		p := res.Estimate / res.Total
		sdEst := res.Total * math.Sqrt(p*(1-p)/float64(res.freshSets))
		if math.Abs(sp.Mean-res.Estimate) > 4*(sp.StdErr+sdEst) {
			t.Errorf("%+v: estimate %.0f, Monte Carlo %.0f ± %.0f", opt.Budget, res.Estimate, sp.Mean, sp.StdErr)
		}
		if res.Lower > sp.Mean+4*sp.StdErr || res.Ratio < budgetAlpha-opt.Eps {
			t.Errorf("lower bound %.0f, Monte Carlo %.0f, ratio %.3f", res.Lower, sp.Mean, res.Ratio)
		}
		if !inCands(m.cands, res.Seeds) || res.Next == nil {
			t.Fatalf("seeds %v, next %v", res.Seeds, res.Next)
		}
		t.Logf("k=%d budget=%g: seeds %v cost %g, estimate %.0f of %.0f people (MC %.0f ± %.0f), ratio %.3f, gains %.0f, next %+v, %d RR sets",
			opt.K, opt.Budget, res.Seeds, res.Cost, res.Estimate, res.Total, sp.Mean, sp.StdErr, res.Ratio, res.Gains, *res.Next, res.RRSets)
	}
}

var benchReachModel struct {
	m reachModel
	g *Graph
}

func benchReach(b *testing.B) (reachModel, *Graph) {
	if benchReachModel.g == nil {
		m := newReachModel(rand.New(rand.NewPCG(61, 62)), 1000, 3000, 10000)
		benchReachModel.m, benchReachModel.g = m, m.graph(b)
	}
	return benchReachModel.m, benchReachModel.g
}

// The tenant-shaped model at the lead's scale: 1,000 options, 3,000
// channels, 10,000 audience cells (2,000 of them targets), ~100k edges.
func benchmarkSelectReach(b *testing.B, opt Options) {
	m, g := benchReach(b)
	opt.Eps, opt.Seed, opt.Explain = 0.1, 1, true
	opt.Targets, opt.TargetWeights, opt.Candidates = m.targets, m.weights, m.cands
	var res *Result
	for b.Loop() {
		var err error
		if res, err = Select(g, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.RRSets), "rrsets")
	b.ReportMetric(res.Ratio, "ratio")
	b.ReportMetric(res.Estimate/res.Total, "reached/people")
}

func BenchmarkSelectReachK10(b *testing.B) { benchmarkSelectReach(b, Options{K: 10}) }
func BenchmarkSelectReachK50(b *testing.B) { benchmarkSelectReach(b, Options{K: 50}) }
func BenchmarkSelectReachBudget(b *testing.B) {
	m, _ := benchReach(b)
	benchmarkSelectReach(b, Options{Budget: 30, Costs: m.costs})
}
