package im

import (
	"bytes"
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
