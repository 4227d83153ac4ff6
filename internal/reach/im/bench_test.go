package im

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
)

// The benchmark graph: R-MAT with 2^17 ids and 1M edges, weighted cascade,
// big enough to miss caches and small enough for a 2-core machine.
var benchText = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	if _, err := RMAT(&b, 1<<17, 1_000_000, 1); err != nil {
		panic(err)
	}
	return b.Bytes()
})

var benchGraph = sync.OnceValue(func() *Graph {
	g, err := ReadEdgeList(bytes.NewReader(benchText()))
	if err != nil {
		panic(err)
	}
	return g
})

// The high-influence variant of it, p = min(1, 3/in-degree): RR sets of
// tens of thousands of nodes, the case for sentinels.
var benchHigh = sync.OnceValue(func() *Graph {
	g, err := ReadEdgeList(strings.NewReader(highInfluence(nil, string(benchText()), 3)))
	if err != nil {
		panic(err)
	}
	return g
})

// The planted-community graph of the same size.
var benchPlanted = sync.OnceValue(func() *Graph {
	var b bytes.Buffer
	if _, err := Planted(&b, 1<<17, 1_000_000, 1); err != nil {
		panic(err)
	}
	g, err := ReadEdgeList(&b)
	if err != nil {
		panic(err)
	}
	return g
})

func BenchmarkRMAT(b *testing.B) {
	for b.Loop() {
		if _, err := RMAT(io.Discard, 1<<17, 1_000_000, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlanted(b *testing.B) {
	for b.Loop() {
		if _, err := Planted(io.Discard, 1<<17, 1_000_000, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadEdgeList(b *testing.B) {
	text := benchText()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := ReadEdgeList(bytes.NewReader(text)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSample(b *testing.B, model Model, threads int) {
	g := benchGraph()
	s := NewSampler(g, model, 1, threads)
	const batch = 10000
	b.ResetTimer()
	for b.Loop() {
		s.Extend(newRRSets(), streamR1, batch)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rrsets/s")
}

func BenchmarkSampleIC1(b *testing.B) { benchSample(b, IC, 1) }
func BenchmarkSampleIC2(b *testing.B) { benchSample(b, IC, 2) }
func BenchmarkSampleLT2(b *testing.B) { benchSample(b, LT, 2) }

func BenchmarkMaxCover(b *testing.B) {
	g := benchGraph()
	rr := newRRSets()
	NewSampler(g, IC, 1, 0).Extend(rr, streamR1, 50000)
	var cw coverWork
	b.ResetTimer()
	for b.Loop() {
		cw.maxCover(rr, g.N(), 50)
	}
}

func BenchmarkSelect(b *testing.B) {
	g := benchGraph()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Select(g, Options{K: 50, Eps: 0.1, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// The sentinel phase: pilot sets capped at pilotLimit and the greedy
// choice on them.
func BenchmarkChooseSentinels(b *testing.B) {
	g := benchHigh()
	s := NewSampler(g, IC, 1, 0)
	for b.Loop() {
		if sn, _ := chooseSentinels(s, 50, false); len(sn) == 0 {
			b.Fatal("no sentinels on the high-influence graph")
		}
	}
}

// Sets that stop at the sentinels, against the full sets of the same
// graph (BenchmarkSampleHighFull): the whole point of HIST.
func BenchmarkSampleHighStopped(b *testing.B) {
	g := benchHigh()
	s := NewSampler(g, IC, 1, 0)
	sn, _ := chooseSentinels(s, 50, false)
	s.StopAt(sn)
	const batch = 10000
	for b.Loop() {
		s.Extend(newRRSets(), streamR1, batch)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rrsets/s")
}

func BenchmarkSampleHighFull(b *testing.B) {
	g := benchHigh()
	s := NewSampler(g, IC, 1, 0)
	const batch = 100
	for b.Loop() {
		s.Extend(newRRSets(), streamR1, batch)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rrsets/s")
}

func BenchmarkSelectHigh(b *testing.B) {
	g := benchHigh()
	for b.Loop() {
		if _, err := Select(g, Options{K: 50, Eps: 0.1, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelectPlanted(b *testing.B) {
	g := benchPlanted()
	for b.Loop() {
		if _, err := Select(g, Options{K: 50, Eps: 0.1, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// Budgeted greedy on the same sets as BenchmarkMaxCover, with costs 1..4.
func BenchmarkBudgetCover(b *testing.B) {
	g := benchGraph()
	rr := newRRSets()
	NewSampler(g, IC, 1, 0).Extend(rr, streamR1, 50000)
	costs := make([]float64, g.N())
	for i := range costs {
		costs[i] = float64(1 + i%4)
	}
	var cw coverWork
	b.ResetTimer()
	for b.Loop() {
		cw.budgetCover(rr, g.N(), costs, 100)
	}
}

func BenchmarkSelectBudget(b *testing.B) {
	g := benchGraph()
	costs := make([]float64, g.N())
	for i := range costs {
		costs[i] = float64(1 + i%4)
	}
	for b.Loop() {
		if _, err := Select(g, Options{Budget: 100, Costs: costs, Eps: 0.1, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMonteCarlo(b *testing.B) {
	g := benchGraph()
	f := g.Forward()
	res, err := Select(g, Options{K: 50, Eps: 0.2, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	const runs = 200
	b.ResetTimer()
	for b.Loop() {
		MonteCarlo(g, f, IC, res.Seeds, runs, 1, 0)
	}
	b.ReportMetric(float64(b.N*runs)/b.Elapsed().Seconds(), "runs/s")
}
