package im

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// aliasTable draws a target in proportion to its weight in O(1): one
// uniform column and one coin against that column's threshold (Walker's
// alias method, built by Vose's stable variant).
type aliasTable struct {
	node   []uint32 // column → its own target
	alias  []uint32 // column → the target that fills the rest of it
	thresh []uint64 // keep node when a uniform 64-bit word is below it
	total  float64  // sum of the weights
}

// newAliasTable builds the table; weights are finite, non-negative and
// sum to more than zero (checked by the caller).
func newAliasTable(nodes []uint32, weights []float64) *aliasTable {
	m := len(nodes)
	t := &aliasTable{node: slices.Clone(nodes), alias: make([]uint32, m), thresh: make([]uint64, m)}
	for _, w := range weights {
		t.total += w
	}
	// Column heights scaled so that the mean is 1.
	h := make([]float64, m)
	var small, large []int
	for i, w := range weights {
		h[i] = w * float64(m) / t.total
		if h[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		t.thresh[s] = toThreshold(h[s])
		t.alias[s] = nodes[l]
		h[l] -= 1 - h[s]
		if h[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// What is left is full up to rounding: it keeps its own target always.
	for _, i := range append(small, large...) {
		t.thresh[i] = math.MaxUint64
		t.alias[i] = nodes[i]
	}
	return t
}

// toThreshold maps a probability in [0, 1) to the 64-bit threshold that a
// uniform word falls below with that probability.
func toThreshold(p float64) uint64 {
	if p <= 0 {
		return 0
	}
	if p >= 1 {
		return math.MaxUint64
	}
	return uint64(p * (1 << 64))
}

func (t *aliasTable) draw(r *rng) uint32 {
	i := r.below(uint64(len(t.node)))
	if r.next() < t.thresh[i] {
		return t.node[i]
	}
	return t.alias[i]
}

// checkTargets validates Options.Targets and TargetWeights (nil weights
// count 1 each) for a graph of n nodes and returns the weights to use. A
// target listed twice counts with the sum of its weights.
func checkTargets(n int, targets []uint32, weights []float64) ([]float64, error) {
	if len(targets) == 0 {
		if weights != nil {
			return nil, errors.New("target weights without targets")
		}
		return nil, errors.New("an empty list of targets (nil means every node)")
	}
	if weights == nil {
		weights = make([]float64, len(targets))
		for i := range weights {
			weights[i] = 1
		}
	}
	if len(weights) != len(targets) {
		return nil, fmt.Errorf("%d target weights for %d targets", len(weights), len(targets))
	}
	total := 0.0
	for i, v := range targets {
		if int(v) >= n {
			return nil, fmt.Errorf("target %d: node %d is not in the graph of %d nodes", i, v, n)
		}
		if w := weights[i]; !(w >= 0 && !math.IsInf(w, 1)) {
			return nil, fmt.Errorf("target %d (node %d): weight %g must be finite and not negative", i, v, w)
		}
		total += weights[i]
	}
	if !(total > 0) || math.IsInf(total, 1) {
		return nil, fmt.Errorf("target weights sum to %g: want a positive, finite total", total)
	}
	return weights, nil
}

// checkCandidates validates Options.Candidates and returns them sorted
// without duplicates.
func checkCandidates(n int, cands []uint32) ([]uint32, error) {
	if len(cands) == 0 {
		return nil, errors.New("an empty list of candidates (nil means every node)")
	}
	c := slices.Clone(cands)
	slices.Sort(c)
	c = slices.Compact(c)
	if last := c[len(c)-1]; int(last) >= n {
		return nil, fmt.Errorf("candidate node %d is not in the graph of %d nodes", last, n)
	}
	return c, nil
}

// optLowerBound is a lower bound on the best weighted spread of k seeds
// from cands (k = 1 with a budget: any single affordable candidate fits),
// without sampling: a seed u activates target t at least with the
// probability that one path from u to t is live, the product of its edge
// probabilities (under LT as under IC: the nodes of a simple path choose
// their in-edges independently). A max-product Dijkstra backwards from
// the targets, in log space so that long paths do not underflow, finds for
// each node its best w(t)·P(path) and the target t that gives it. Seeds
// whose best targets differ add up, so the bound is the sum over the first
// k candidates settled with distinct best targets. Zero means that no
// candidate has any path to a target of positive weight: every seed set
// then reaches nobody.
//
// The bound only sizes θmax and with it the number of rounds; a loose one
// costs a few more rounds in the worst case, never correctness. So the
// search stops once it has the k seeds, or has done twice the work it took
// to find the first (which alone is a valid bound).
func optLowerBound(g *Graph, targets []uint32, weights []float64, cands []uint32, k int) float64 {
	n := g.N()
	val := make([]float64, n) // log of the best w(t)·P(path), -Inf unseen
	origin := make([]uint32, n)
	for i := range val {
		val[i] = math.Inf(-1)
	}
	merged := make([]float64, n)
	for i, t := range targets {
		merged[t] += weights[i]
	}
	var h logHeap
	for _, t := range targets {
		if merged[t] > 0 && val[t] == math.Inf(-1) {
			val[t], origin[t] = math.Log(merged[t]), t
			h.push(val[t], t)
		}
	}
	isCand := bitset(n, cands)
	done := make([]bool, n)
	usedOrigin := map[uint32]bool{}
	bound, found := 0.0, 0
	work, workCap := 0, math.MaxInt
	for h.len() > 0 && found < k && work < workCap {
		key, v := h.pop()
		if done[v] || key < val[v] {
			continue
		}
		done[v] = true
		if inSet(isCand, v) && !usedOrigin[origin[v]] {
			usedOrigin[origin[v]] = true
			bound += math.Exp(key)
			found++
			if found == 1 {
				workCap = 2*work + 1024
			}
		}
		for i := g.Off[v]; i < g.Off[v+1]; i++ {
			work++
			p := g.EdgeProb(v, i)
			if p <= 0 {
				continue
			}
			u := g.Src[i]
			if nv := key + math.Log(float64(min(p, 1))); nv > val[u] && !done[u] {
				val[u], origin[u] = nv, origin[v]
				h.push(nv, u)
			}
		}
	}
	return bound
}

// logHeap is a binary max-heap of (key, node) with lazy deletion.
type logHeap struct {
	key  []float64
	node []uint32
}

func (h *logHeap) len() int { return len(h.key) }

func (h *logHeap) push(k float64, v uint32) {
	h.key = append(h.key, k)
	h.node = append(h.node, v)
	for i := len(h.key) - 1; i > 0; {
		p := (i - 1) / 2
		if h.key[p] >= h.key[i] {
			break
		}
		h.swap(i, p)
		i = p
	}
}

func (h *logHeap) pop() (float64, uint32) {
	k, v := h.key[0], h.node[0]
	last := len(h.key) - 1
	h.swap(0, last)
	h.key, h.node = h.key[:last], h.node[:last]
	for i := 0; ; {
		l, best := 2*i+1, i
		if l < last && h.key[l] > h.key[best] {
			best = l
		}
		if r := l + 1; r < last && h.key[r] > h.key[best] {
			best = r
		}
		if best == i {
			break
		}
		h.swap(i, best)
		i = best
	}
	return k, v
}

func (h *logHeap) swap(i, j int) {
	h.key[i], h.key[j] = h.key[j], h.key[i]
	h.node[i], h.node[j] = h.node[j], h.node[i]
}
