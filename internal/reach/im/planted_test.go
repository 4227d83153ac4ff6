package im

import (
	"cmp"
	"slices"
	"strings"
	"testing"
)

func plantedGraph(t testing.TB, nodes int, edges int64, seed uint64) (string, *Graph) {
	t.Helper()
	var b strings.Builder
	present, err := Planted(&b, nodes, edges, seed)
	if err != nil {
		t.Fatal(err)
	}
	g := mustGraph(t, b.String())
	if g.N() != present || present != nodes || int64(g.M()) != edges {
		t.Fatalf("planted: n=%d m=%d, want %d, %d", g.N(), g.M(), nodes, edges)
	}
	return b.String(), g
}

// topDegree is the k nodes of largest out-degree, ties to the lower id.
func topDegree(f *Forward, k int) []uint32 {
	n := len(f.Off) - 1
	order := make([]uint32, n)
	for i := range order {
		order[i] = uint32(i)
	}
	deg := func(v uint32) uint32 { return f.Off[v+1] - f.Off[v] }
	slices.SortStableFunc(order, func(a, b uint32) int { return cmp.Compare(deg(b), deg(a)) })
	return order[:k]
}

func TestPlanted(t *testing.T) {
	text, g := plantedGraph(t, 3000, 20000, 7)
	var b strings.Builder
	if _, err := Planted(&b, 3000, 20000, 7); err != nil || b.String() != text {
		t.Fatal("Planted is not deterministic")
	}
	seen := map[[2]uint32]bool{}
	for v := uint32(0); int(v) < g.N(); v++ {
		for i := g.Off[v]; i < g.Off[v+1]; i++ {
			e := [2]uint32{g.Src[i], v}
			if g.Src[i] == v || seen[e] {
				t.Fatalf("self-loop or duplicate edge %v", e)
			}
			seen[e] = true
		}
	}
	if _, err := Planted(&b, 3000, 100, 1); err == nil || !strings.Contains(err.Error(), "at least") {
		t.Errorf("too few edges: %v", err)
	}
	if _, err := Planted(&b, 50, 1000, 1); err == nil {
		t.Error("Planted accepted 50 nodes")
	}
}

// The point of the planted graph: the k nodes of largest degree all reach
// the same audience, so their spread is far below greedy's, by
// independent Monte Carlo.
func TestPlantedDegreeSortFails(t *testing.T) {
	_, g := plantedGraph(t, 20000, 150000, 3)
	f := g.Forward()
	for _, k := range []int{10, 50} {
		res, err := Select(g, Options{K: k, Eps: 0.2, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		greedy := MonteCarlo(g, f, IC, res.Seeds, 2000, 5, 2)
		degree := MonteCarlo(g, f, IC, topDegree(f, k), 2000, 5, 2)
		t.Logf("k=%d: greedy %.1f ± %.1f, degree top-k %.1f ± %.1f", k, greedy.Mean, greedy.StdErr, degree.Mean, degree.StdErr)
		if greedy.Mean < 1.5*degree.Mean {
			t.Errorf("k=%d: greedy spread %.1f is not clearly above the degree sort's %.1f", k, greedy.Mean, degree.Mean)
		}
	}
}
