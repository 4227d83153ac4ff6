package im

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestReadCosts(t *testing.T) {
	got, err := ReadCosts(strings.NewReader("# speaker hours\n1 2.5\n\n7\t0 # free\r\n9,1e3\n  3 4  \n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []NodeCost{{1, 2.5, 2}, {7, 0, 4}, {9, 1000, 5}, {3, 4, 6}}
	if !slices.Equal(got, want) {
		t.Errorf("ReadCosts = %v, want %v", got, want)
	}
	for _, c := range []struct{ in, want string }{
		{"1 2\n2 -1\n", "line 2: cost \"-1\" must be finite and not negative"},
		{"1 NaN\n", "line 1: cost \"NaN\" must be finite"},
		{"1 2\n\n3 +Inf\n", "line 3: cost \"+Inf\" must be finite"},
		{"1 x\n", "line 1: cost \"x\" is not a number"},
		{"a 1\n", "line 1: node id \"a\""},
		{"-4 1\n", "line 1: node id \"-4\""},
		{"1 2 3\n", "line 1: 3 fields"},
		{"1\n", "line 1: 1 fields"},
		{"5 1\n6 1\n5 2\n", "line 3: node 5 already has a cost on line 1"},
		{"9223372036854775808 1\n", "line 1: node id"},
	} {
		if _, err := ReadCosts(strings.NewReader(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
	g := mustGraph(t, "10 20\n20 30\n")
	costs, err := g.CostsOf([]NodeCost{{20, 5, 1}})
	if err != nil || !slices.Equal(costs, []float64{1, 5, 1}) {
		t.Errorf("CostsOf = %v, %v", costs, err)
	}
	if _, err := g.CostsOf([]NodeCost{{20, 5, 1}, {40, 1, 2}}); err == nil || !strings.Contains(err.Error(), "line 2: node 40 is not in the graph") {
		t.Errorf("unknown node: %v", err)
	}
}

func FuzzReadCosts(f *testing.F) {
	for _, s := range []string{"1 2\n", "# c\n3,0.5\r\n", "1 -1", "1 nan", "2 1e308\n2 1", "7\t1e-320 # tiny\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ReadCosts(strings.NewReader(string(data)))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		seen := map[uint64]bool{}
		for _, e := range entries {
			if !(e.Cost >= 0) || math.IsInf(e.Cost, 0) || seen[e.ID] || e.ID >= 1<<63 || e.Line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
			seen[e.ID] = true
		}
	})
}

// bestWithin is the largest coverage of a set of cost at most budget, by
// brute force over all subsets of n <= 16 nodes.
func bestWithin(rr *RRSets, n int, costs []float64, budget float64) int {
	best := 0
	for mask := 1; mask < 1<<n; mask++ {
		var seeds []uint32
		c := 0.0
		for v := 0; v < n; v++ {
			if mask>>v&1 == 1 {
				seeds = append(seeds, uint32(v))
				c += costs[v]
			}
		}
		if c <= budget {
			best = max(best, CoveredBy(rr, n, seeds))
		}
	}
	return best
}

func randomCosts(r *rand.Rand, n int) []float64 {
	costs := make([]float64, n)
	for i := range costs {
		switch r.IntN(6) {
		case 0:
			costs[i] = 0
		case 1:
			costs[i] = 10 // often above the budget: an option that is not allowed
		default:
			costs[i] = math.Round(r.Float64()*40)/10 + 0.1
		}
	}
	return costs
}

// Cost-aware greedy with the best single node covers at least (1-1/e)/2 of
// the best coverage within the budget, never spends more, and its upper
// bound is one.
func TestBudgetCoverAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	var cw coverWork
	for trial := 0; trial < 300; trial++ {
		n := 4 + r.IntN(11)
		rr := newRRSets()
		for i := 0; i < 5+r.IntN(30); i++ {
			size := 1 + r.IntN(min(n, 4))
			for _, v := range r.Perm(n)[:size] {
				rr.Nodes = append(rr.Nodes, uint32(v))
			}
			rr.Off = append(rr.Off, len(rr.Nodes))
		}
		costs := randomCosts(r, n)
		budget := 0.5 + r.Float64()*5
		c := cw.budgetCover(rr, n, costs, budget)
		spent := 0.0
		for _, v := range c.Seeds {
			spent += costs[v]
		}
		best := bestWithin(rr, n, costs, budget)
		if spent > budget+1e-12 || len(uniq(c.Seeds)) != len(c.Seeds) {
			t.Fatalf("trial %d: seeds %v cost %g > budget %g", trial, c.Seeds, spent, budget)
		}
		if got := CoveredBy(rr, n, c.Seeds); got != c.Covered {
			t.Fatalf("trial %d: claims %d covered, covers %d", trial, c.Covered, got)
		}
		if float64(c.Covered) < budgetAlpha*float64(best) || c.Upper < best {
			t.Errorf("trial %d: covered %d, upper %d, best within budget %d", trial, c.Covered, c.Upper, best)
		}
	}
}

// Select with a budget never exceeds it, on random graphs with random
// costs and budgets.
func TestBudgetNeverExceeded(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	for trial := 0; trial < 40; trial++ {
		n := 10 + r.IntN(60)
		g := mustGraph(t, randomGraph(r, n, n+r.IntN(3*n), trial%2 == 0))
		costs := randomCosts(r, g.N())
		budget := 0.5 + r.Float64()*8
		res, err := Select(g, Options{Budget: budget, Costs: costs, Eps: 0.2, Seed: uint64(trial), Threads: 2})
		if err != nil {
			if strings.Contains(err.Error(), "no node costs at most") {
				continue
			}
			t.Fatal(err)
		}
		spent := 0.0
		for _, v := range res.Seeds {
			spent += costs[v]
		}
		if spent > budget || math.Abs(spent-res.Cost) > 1e-9 || len(res.Seeds) == 0 || len(uniq(res.Seeds)) != len(res.Seeds) {
			t.Errorf("trial %d: seeds %v cost %g (reported %g), budget %g", trial, res.Seeds, spent, res.Cost, budget)
		}
	}
}

// On tiny graphs the budgeted seeds meet ((1-1/e)/2 - ε) of the brute-force
// optimum within the budget, by exact spread, and the bounds hold.
func TestBudgetGuaranteeAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	const eps = 0.1
	for trial := 0; trial < 24; trial++ {
		n := 6 + r.IntN(5)
		g := mustGraph(t, randomGraph(r, n, min(12, n-1+r.IntN(6)), trial%2 == 0))
		costs := randomCosts(r, n)
		budget := 0.5 + r.Float64()*4
		for _, model := range []Model{IC, LT} {
			ex := enumerate(g, model)
			best := 0.0
			for mask := 1; mask < 1<<n; mask++ {
				var seeds []uint32
				c := 0.0
				for v := 0; v < n; v++ {
					if mask>>v&1 == 1 {
						seeds = append(seeds, uint32(v))
						c += costs[v]
					}
				}
				if c <= budget {
					best = max(best, ex.spread(seeds))
				}
			}
			res, err := Select(g, Options{Budget: budget, Costs: costs, Eps: eps, Delta: 0.01, Model: model, Seed: uint64(trial), Threads: 2})
			if best == 0 {
				if err == nil {
					t.Errorf("trial %d: nothing fits the budget %g, yet %v", trial, budget, res.Seeds)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ex.spread(res.Seeds)
			if res.Cost > budget || got < (budgetAlpha-eps)*best {
				t.Errorf("trial %d %v: spread %.4f at cost %g, best %.4f within %g", trial, model, got, res.Cost, best, budget)
			}
			if res.Lower > got+1e-9 || res.UpperOPT < best-1e-9 {
				t.Errorf("trial %d %v: bounds [%.4f, %.4f] miss spread %.4f / OPT %.4f", trial, model, res.Lower, res.UpperOPT, got, best)
			}
		}
	}
}

func TestBudgetOptions(t *testing.T) {
	g := mustGraph(t, "1 2\n2 3\n3 1\n")
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{K: 1, Budget: 2, Eps: 0.1}, "exclude each other"},
		{Options{Budget: 2, Eps: 0.1, Hist: HistOn}, "HIST"},
		{Options{Budget: 2, Eps: 0.4}, "eps must be in (0, 0.316)"},
		{Options{Budget: math.Inf(1), Eps: 0.1}, "budget must be positive"},
		{Options{Costs: []float64{1, 1, 1}, Eps: 0.1}, "budget must be positive"},
		{Options{Budget: 2, Costs: []float64{1, 1}, Eps: 0.1}, "2 costs for 3 nodes"},
		{Options{Budget: 2, Costs: []float64{1, math.NaN(), 1}, Eps: 0.1}, "node 2: cost NaN"},
		{Options{Budget: 0.5, Costs: []float64{1, 2, 3}, Eps: 0.1}, "no node costs at most the budget 0.5 (the cheapest costs 1)"},
	} {
		if _, err := Select(g, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.opt, err, c.want)
		}
	}
	// Unit costs and budget 2 on three separate edges: two sources.
	g = mustGraph(t, "1 2\n3 4\n5 6\n")
	res, err := Select(g, Options{Budget: 2.5, Eps: 0.1})
	if err != nil || len(res.Seeds) != 2 || res.Cost != 2 || res.Seeds[0]%2 != 0 || res.Seeds[1]%2 != 0 {
		t.Errorf("unit costs: %+v, %v", res, err)
	}
}
