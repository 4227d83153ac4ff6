package im

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestReadEdgeList(t *testing.T) {
	g := mustGraph(t, "# a comment\n\n10\t20\r\n20 30 # trailing\n  30,10\n% konect style\n10 30")
	if g.N() != 3 || g.M() != 4 {
		t.Fatalf("n=%d m=%d, want 3, 4", g.N(), g.M())
	}
	if fmt.Sprint(g.IDs) != "[10 20 30]" {
		t.Errorf("ids %v", g.IDs)
	}
	// Node 30 has in-edges from 20 and 10: weighted cascade gives 1/2 each.
	d, _ := g.Dense(30)
	if g.InDegree(d) != 2 || g.NodeProb[d] != 0.5 {
		t.Errorf("node 30: indeg %d prob %v", g.InDegree(d), g.NodeProb[d])
	}
	if _, ok := g.Dense(25); ok {
		t.Error("Dense(25) found a node that is not there")
	}

	// Sparse and 64-bit ids take the sorting path; the ranks stay ordered.
	g = mustGraph(t, "9223372036854775807 5\n5 4294967296\n")
	if fmt.Sprint(g.IDs) != "[5 4294967296 9223372036854775807]" || g.M() != 2 {
		t.Errorf("wide ids: %v", g.IDs)
	}

	// Explicit probabilities: non-uniform in-edges are sorted decreasing.
	g = mustGraph(t, "1 3 0.25\n2 3 0.75\n1 2 1e-1\n")
	d, _ = g.Dense(3)
	if g.NodeProb[d] != -1 || g.Prob[g.Off[d]] != 0.75 || g.IDs[g.Src[g.Off[d]]] != 2 {
		t.Errorf("sorted probs: %+v", g)
	}
	d, _ = g.Dense(2)
	if g.NodeProb[d] != 0.1 {
		t.Errorf("exponent form: %v", g.NodeProb[d])
	}
	// LT needs in-weights summing to at most 1.
	if err := mustGraph(t, "1 3 0.6\n2 3 0.6\n").CheckLT(); err == nil || !strings.Contains(err.Error(), "node 3") {
		t.Errorf("CheckLT: %v", err)
	}
}

func TestReadEdgeListErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "no edges"},
		{"# only comments\n\n", "no edges"},
		{"1 2\n3\n", "line 2: only one field"},
		{"1 2\n-3 4\n", `line 2: node id "-3" is not a non-negative integer`},
		{"1 2\n1x 4\n", `line 2: node id "1x"`},
		{"1 2 0.5 7\n", "line 1: more than three fields"},
		{"1 2 0.5\n2 3\n", "line 2: no probability, but line 1 has one"},
		{"1 2\n\n2 3 0.5\n", "line 3: a probability, but line 1 has none"},
		{"1 2 1.5\n", `line 1: probability "1.5" is outside [0, 1]`},
		{"1 2 abc\n", `line 1: probability "abc" is not a number`},
		{"1 2 NaN\n", "outside [0, 1]"},
		{"1 9223372036854775808\n", "line 1: node id 9223372036854775808… is larger than 2^63-1"},
	} {
		_, err := ReadEdgeList(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
	long := "1 2 " + strings.Repeat("0", 2<<20) + "\n"
	if _, err := ReadEdgeList(strings.NewReader(long)); err == nil || !strings.Contains(err.Error(), "line 1: line longer") {
		t.Errorf("long line: %v", err)
	}
}

func TestRMAT(t *testing.T) {
	var a, b bytes.Buffer
	present, err := RMAT(&a, 1000, 5000, 9)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RMAT(&b, 1000, 5000, 9); err != nil || a.String() != b.String() {
		t.Fatal("RMAT is not deterministic")
	}
	g := mustGraph(t, a.String())
	if g.M() != 5000 || g.N() != present {
		t.Errorf("m=%d n=%d, want 5000, %d", g.M(), g.N(), present)
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
	if _, err := RMAT(&b, 4, 100, 1); err == nil {
		t.Error("RMAT accepted more edges than the graph can hold")
	}
}

func FuzzReadEdgeList(f *testing.F) {
	for _, s := range []string{"1 2\n2 3\n", "1 2 0.5\n2 1 1\n", "# c\n\n5,6\r\n", "1 2 1e-3", "18446744073709551615 1", "0 0\n0 0 \n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ReadEdgeList(bytes.NewReader(data))
		if err != nil {
			return
		}
		n := g.N()
		if len(g.Off) != n+1 || int(g.Off[n]) != g.M() {
			t.Fatalf("bad offsets")
		}
		for v := 0; v < n; v++ {
			if g.Off[v] > g.Off[v+1] || !(g.NodeProb[v] == -1 || (g.NodeProb[v] >= 0 && g.NodeProb[v] <= 1)) {
				t.Fatalf("node %d: bad offsets or probability", v)
			}
		}
		for _, s := range g.Src {
			if int(s) >= n {
				t.Fatalf("source out of range")
			}
		}
		// Whatever parsed must be sampleable.
		s := NewSampler(g, IC, 1, 1)
		s.Extend(newRRSets(), streamR1, 10)
	})
}
