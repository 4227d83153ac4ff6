// Package im is influence maximisation for the reach planner (issue 6):
// a compact reverse graph read from a SNAP-style edge list, reverse-reachable
// (RR) set sampling under the independent cascade (IC) and linear threshold
// (LT) models, greedy maximum coverage with OPIM-C adaptive stopping, HIST
// sentinels for graphs whose RR sets are huge, budgets with a cost per node
// (cost-aware greedy with the best single node), an independent Monte Carlo
// evaluator and two generators: R-MAT and planted communities.
//
// For the reach planner, the spread can count weighted targets only (the
// people of the audience cells that matter: RR sets are rooted at a target
// drawn by weight), seeds can be restricted to candidates (the options
// allowed), and Select can explain its choice: the marginal gain of each
// seed and what the best option left out would add.
//
// Everything is sized for graphs of tens of millions of edges: 32-bit dense
// node ids, float32 probabilities and flat arrays, because RR sampling is
// bound by memory latency, not arithmetic.
package im

import (
	"fmt"
	"math"
	"sort"
)

// Model is the diffusion model.
type Model uint8

const (
	IC Model = iota // independent cascade: each edge fires once with its probability
	LT              // linear threshold: in-weights of a node sum to at most 1
)

func (m Model) String() string {
	if m == LT {
		return "lt"
	}
	return "ic"
}

// ParseModel maps "ic" or "lt" to a Model.
func ParseModel(s string) (Model, error) {
	switch s {
	case "ic", "IC":
		return IC, nil
	case "lt", "LT":
		return LT, nil
	}
	return IC, fmt.Errorf("unknown model %q (want ic or lt)", s)
}

// Graph is the reverse (in-edge) CSR of a directed graph with dense ids
// 0..N-1. The in-edges of v are Src[Off[v]:Off[v+1]].
type Graph struct {
	IDs []uint64 // dense id → id as written in the file
	Off []uint32 // len N+1
	Src []uint32 // in-neighbour per in-edge
	// NodeProb[v] is the probability shared by all in-edges of v, or -1 when
	// they differ. Weighted cascade (no probability column) is always
	// uniform, which is what lets the sampler skip over edges geometrically.
	NodeProb []float32
	// Prob is per in-edge, sorted in decreasing order within each node; nil
	// when every node is uniform (then NodeProb says it all).
	Prob []float32
}

// N is the number of nodes (those that appear on at least one edge).
func (g *Graph) N() int { return len(g.IDs) }

// M is the number of edges.
func (g *Graph) M() int { return len(g.Src) }

// InDegree of dense node v.
func (g *Graph) InDegree(v uint32) int { return int(g.Off[v+1] - g.Off[v]) }

// EdgeProb is the probability of in-edge i of node v (Off[v] <= i < Off[v+1]).
func (g *Graph) EdgeProb(v uint32, i uint32) float32 {
	if p := g.NodeProb[v]; p >= 0 {
		return p
	}
	return g.Prob[i]
}

// Dense returns the dense id of an original node id.
func (g *Graph) Dense(id uint64) (uint32, bool) {
	// IDs is sorted ascending (dense ids are ranks), so a binary search does.
	i := sort.Search(len(g.IDs), func(i int) bool { return g.IDs[i] >= id })
	if i < len(g.IDs) && g.IDs[i] == id {
		return uint32(i), true
	}
	return 0, false
}

// CheckLT reports the first node whose in-weights sum above 1, which the
// linear threshold model cannot express.
func (g *Graph) CheckLT() error {
	for v := 0; v < g.N(); v++ {
		lo, hi := g.Off[v], g.Off[v+1]
		var s float64
		if p := g.NodeProb[v]; p >= 0 {
			s = float64(p) * float64(hi-lo)
		} else {
			for i := lo; i < hi; i++ {
				s += float64(g.Prob[i])
			}
		}
		if s > 1+1e-5 {
			return fmt.Errorf("node %d: in-edge weights sum to %.6g > 1, not a linear threshold model", g.IDs[v], s)
		}
	}
	return nil
}

// build turns dense edge blocks into the reverse CSR. prob is empty for
// weighted cascade. src, dst and prob are consumed: each block is dropped
// once copied, so the garbage collector can reuse it.
func build(ids []uint64, src, dst *blocks[uint32], prob *blocks[float32]) (*Graph, error) {
	n, m := len(ids), src.n
	if uint64(m) > math.MaxUint32 {
		return nil, fmt.Errorf("%d edges: more than 2^32-1 are not supported", m)
	}
	g := &Graph{IDs: ids, Off: make([]uint32, n+1), Src: make([]uint32, m), NodeProb: make([]float32, n)}
	for _, b := range dst.b {
		for _, d := range b {
			g.Off[d+1]++
		}
	}
	for v := 0; v < n; v++ {
		g.Off[v+1] += g.Off[v]
	}
	// Fill in file order with a moving cursor, so the layout (and with it
	// every sample) depends only on the file.
	cur := make([]uint32, n)
	copy(cur, g.Off[:n])
	var ep []float32
	if prob.n > 0 {
		ep = make([]float32, m)
	}
	for b := range dst.b {
		for i, d := range dst.b[b] {
			j := cur[d]
			cur[d]++
			g.Src[j] = src.b[b][i]
			if ep != nil {
				ep[j] = prob.b[b][i]
			}
		}
		src.b[b], dst.b[b] = nil, nil
		if ep != nil {
			prob.b[b] = nil
		}
	}
	cur = nil
	if ep == nil {
		for v := 0; v < n; v++ {
			if d := g.Off[v+1] - g.Off[v]; d > 0 {
				g.NodeProb[v] = float32(1 / float64(d))
			}
		}
		return g, nil
	}
	mixed := false
	for v := 0; v < n; v++ {
		lo, hi := g.Off[v], g.Off[v+1]
		g.NodeProb[v] = 0
		if lo == hi {
			continue
		}
		p := ep[lo]
		uniform := true
		for i := lo + 1; i < hi; i++ {
			if ep[i] != p {
				uniform = false
				break
			}
		}
		if uniform {
			g.NodeProb[v] = p
			continue
		}
		g.NodeProb[v] = -1
		mixed = true
		sort.Sort(byProbDesc{g.Src[lo:hi], ep[lo:hi]})
	}
	if mixed {
		g.Prob = ep
	}
	return g, nil
}

type byProbDesc struct {
	src  []uint32
	prob []float32
}

func (b byProbDesc) Len() int { return len(b.src) }
func (b byProbDesc) Less(i, j int) bool {
	if b.prob[i] != b.prob[j] {
		return b.prob[i] > b.prob[j]
	}
	return b.src[i] < b.src[j] // total order: the layout never depends on sort internals
}
func (b byProbDesc) Swap(i, j int) {
	b.src[i], b.src[j] = b.src[j], b.src[i]
	b.prob[i], b.prob[j] = b.prob[j], b.prob[i]
}

// Forward is the out-edge CSR with a probability per edge, used by the
// Monte Carlo evaluator that simulates cascades forwards.
type Forward struct {
	Off  []uint32
	Dst  []uint32
	Prob []float32
}

// Forward builds the out-edge CSR by transposing the reverse one.
func (g *Graph) Forward() *Forward {
	n, m := g.N(), g.M()
	f := &Forward{Off: make([]uint32, n+1), Dst: make([]uint32, m), Prob: make([]float32, m)}
	for _, s := range g.Src {
		f.Off[s+1]++
	}
	for v := 0; v < n; v++ {
		f.Off[v+1] += f.Off[v]
	}
	cur := make([]uint32, n)
	copy(cur, f.Off[:n])
	for v := uint32(0); int(v) < n; v++ {
		for i := g.Off[v]; i < g.Off[v+1]; i++ {
			s := g.Src[i]
			j := cur[s]
			cur[s]++
			f.Dst[j] = v
			f.Prob[j] = g.EdgeProb(v, i)
		}
	}
	return f
}
