package im

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// highInfluence rewrites an edge list with p = min(1, c/in-degree), the
// issue's high-influence variant for c = 3.
func highInfluence(_ testing.TB, text string, c float64) string {
	type edge struct{ u, v string }
	var es []edge
	indeg := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		es = append(es, edge{f[0], f[1]})
		indeg[f[1]]++
	}
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%s %s %g\n", e.u, e.v, min(1, c/float64(indeg[e.v])))
	}
	return b.String()
}

func rmatText(t testing.TB, nodes int, edges int64, seed uint64) string {
	t.Helper()
	var b strings.Builder
	if _, err := RMAT(&b, nodes, edges, seed); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Sets that stop at sentinels are prefixes of the full sets drawn from the
// same streams, so for every seed set holding the sentinels the coverage
// counts agree exactly, hits included.
func TestStopAtKeepsCoverageExact(t *testing.T) {
	g := mustGraph(t, highInfluence(t, rmatText(t, 3000, 15000, 4), 2))
	n := g.N()
	full, cut := newRRSets(), newRRSets()
	NewSampler(g, IC, 5, 2).Extend(full, streamR1, 3000)
	sentinels := []uint32{0, 7, 100}
	s := NewSampler(g, IC, 5, 3)
	s.StopAt(sentinels)
	s.Extend(cut, streamR1, 1000) // grown in two steps: the same family
	s.Extend(cut, streamR1, 2000)
	if cut.Drawn() != 3000 || cut.Hits == 0 || cut.Len() == 0 {
		t.Fatalf("drawn %d, hits %d, stored %d", cut.Drawn(), cut.Hits, cut.Len())
	}
	if len(cut.Nodes)*4 > len(full.Nodes) {
		t.Errorf("stopping at sentinels kept %d of %d entries", len(cut.Nodes), len(full.Nodes))
	}
	for i := 0; i < cut.Len(); i++ {
		for _, v := range cut.Set(i) {
			if slices.Contains(sentinels, v) {
				t.Fatalf("stored set %d holds sentinel %d", i, v)
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 20; trial++ {
		seeds := slices.Clone(sentinels)
		for j := 0; j < trial%5; j++ {
			seeds = append(seeds, uint32(r.IntN(n)))
		}
		if a, b := CoveredBy(full, n, seeds), CoveredBy(cut, n, seeds); a != b {
			t.Errorf("seeds %v: %d sets covered in full, %d with stops", seeds, a, b)
		}
	}
	// Greedy from the sentinels on the cut sets covers what it claims on
	// the full ones.
	var cw coverWork
	c := cw.extend(cut, n, sentinels, 10)
	if !slices.Equal(c.Seeds[:3], sentinels) || len(c.Seeds) != 10 {
		t.Fatalf("seeds %v do not start with the sentinels %v", c.Seeds, sentinels)
	}
	if got := CoveredBy(full, n, c.Seeds); got != c.Covered || c.Upper < c.Covered {
		t.Errorf("greedy claims %d covered (upper %d), full sets say %d", c.Covered, c.Upper, got)
	}
}

// With sentinels forced on, the seeds still meet 1-1/e-ε against the
// brute-force optimum and the bounds hold, on every sampler path.
func TestHistGuaranteeAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const eps = 0.1
	for trial := 0; trial < 24; trial++ {
		n := 6 + r.IntN(5)
		m := min(12, n-1+r.IntN(6))
		text := randomGraph(r, n, m, trial%2 == 0)
		g := mustGraph(t, text)
		for _, model := range []Model{IC, LT} {
			ex := enumerate(g, model)
			for _, k := range []int{1, 2, 3} {
				res, err := Select(g, Options{K: k, Eps: eps, Delta: 0.01, Model: model, Seed: uint64(trial), Threads: 2, Hist: HistOn})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Seeds) != k || len(res.Seeds) != len(uniq(res.Seeds)) {
					t.Fatalf("seeds %v, want %d distinct", res.Seeds, k)
				}
				got, best := ex.spread(res.Seeds), ex.opt(g.N(), k)
				if got < (1-1/math.E-eps)*best {
					t.Errorf("trial %d %v k=%d: spread %.4f < (1-1/e-ε)·OPT = %.4f\n%s", trial, model, k, got, (1-1/math.E-eps)*best, text)
				}
				if res.Lower > got+1e-9 || res.UpperOPT < best-1e-9 {
					t.Errorf("trial %d %v k=%d: bounds [%.4f, %.4f] miss spread %.4f / OPT %.4f", trial, model, k, res.Lower, res.UpperOPT, got, best)
				}
				if math.Abs(res.Estimate-got) > 0.25*got+0.5 {
					t.Errorf("trial %d %v k=%d: estimate %.4f, exact %.4f", trial, model, k, res.Estimate, got)
				}
			}
		}
	}
}

func uniq(a []uint32) []uint32 {
	b := slices.Clone(a)
	slices.Sort(b)
	return slices.Compact(b)
}

// On the high-influence variant of R-MAT the pilot turns the sentinel
// phase on by itself, the sets it stores shrink by orders of magnitude,
// and the seeds are as good by independent Monte Carlo as plain OPIM-C's.
// On the weighted-cascade graph it stays off.
func TestHistOnHighInfluence(t *testing.T) {
	text := rmatText(t, 1<<13, 40000, 2)
	wc := mustGraph(t, text)
	res, err := Select(wc, Options{K: 20, Eps: 0.2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sentinels != 0 || res.PilotMean >= histMinMean {
		t.Errorf("weighted cascade: %d sentinels, pilot mean %.1f", res.Sentinels, res.PilotMean)
	}

	g := mustGraph(t, highInfluence(t, text, 3))
	f := g.Forward()
	var spread [2]Spread
	var stored [2]int64
	for i, h := range []HistMode{HistAuto, HistOff} {
		var first *Result
		for _, th := range []int{1, 2} {
			res, err := Select(g, Options{K: 20, Eps: 0.2, Seed: 1, Threads: th, Hist: h})
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = res
			} else if !slices.Equal(res.Seeds, first.Seeds) || res.Estimate != first.Estimate {
				t.Errorf("%v: threads change the result: %v %.1f vs %v %.1f", h, res.Seeds, res.Estimate, first.Seeds, first.Estimate)
			}
		}
		if (h == HistAuto) != (first.Sentinels > 0) {
			t.Errorf("%v: %d sentinels (pilot mean %.1f)", h, first.Sentinels, first.PilotMean)
		}
		sp := MonteCarlo(g, f, IC, first.Seeds, 1000, 9, 2)
		// The estimate is a coverage fraction over a third of the sets.
		nf, frac := float64(g.N()), first.Estimate/float64(g.N())
		sdEst := nf * math.Sqrt(frac*(1-frac)/float64(first.RRSets/3))
		if math.Abs(sp.Mean-first.Estimate) > 4*(sp.StdErr+sdEst) {
			t.Errorf("%v: estimate %.1f, Monte Carlo %.1f ± %.1f", h, first.Estimate, sp.Mean, sp.StdErr)
		}
		if first.Lower > sp.Mean+4*sp.StdErr {
			t.Errorf("%v: lower bound %.1f above Monte Carlo %.1f", h, first.Lower, sp.Mean)
		}
		spread[i], stored[i] = sp, first.RRNodes
		t.Logf("%v: %d sentinels, %d sets, %d entries, estimate %.1f, Monte Carlo %.1f ± %.1f", h, first.Sentinels, first.RRSets, first.RRNodes, first.Estimate, sp.Mean, sp.StdErr)
	}
	if spread[0].Mean < 0.98*spread[1].Mean-3*(spread[0].StdErr+spread[1].StdErr) {
		t.Errorf("sentinels: Monte Carlo %.1f, plain OPIM-C %.1f", spread[0].Mean, spread[1].Mean)
	}
	if stored[0]*20 > stored[1] {
		t.Errorf("sentinels stored %d entries, plain OPIM-C %d", stored[0], stored[1])
	}
}

func TestParseHist(t *testing.T) {
	for _, m := range []HistMode{HistAuto, HistOn, HistOff} {
		if got, err := ParseHist(m.String()); err != nil || got != m {
			t.Errorf("ParseHist(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseHist("yes"); err == nil {
		t.Error("ParseHist accepted yes")
	}
}
