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

func (cw *coverWork) maxCover(rr *RRSets, n, k int) Coverage {
	k = min(k, n)
	// Inverted index node → sets containing it, by counting sort.
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
	for len(res.Seeds) < k {
		for maxg > 0 && head[maxg] < 0 {
			maxg--
		}
		res.Upper = min(res.Upper, res.Covered+topK())
		if maxg == 0 {
			break
		}
		u := head[maxg]
		unlink(u, int32(maxg))
		chosen[u] = true
		res.Seeds = append(res.Seeds, uint32(u))
		for _, si := range idx[idxOff[u]:idxOff[u+1]] {
			if covered[si] {
				continue
			}
			covered[si] = true
			res.Covered++
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
	if len(res.Seeds) == k {
		for maxg > 0 && head[maxg] < 0 {
			maxg--
		}
		res.Upper = min(res.Upper, res.Covered+topK())
	}
	// Every set is covered (or no node covers more): any further node adds
	// nothing, so fill up with the lowest unused ids to return k seeds.
	for v := 0; len(res.Seeds) < k; v++ {
		if !chosen[v] {
			chosen[v] = true
			res.Seeds = append(res.Seeds, uint32(v))
		}
	}
	return res
}

// CoveredBy counts the sets in rr that contain a node of seeds.
func CoveredBy(rr *RRSets, n int, seeds []uint32) int {
	in := make([]bool, n)
	for _, s := range seeds {
		in[s] = true
	}
	c := 0
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
	Eps     float64 // approximation slack: the result is (1-1/e-Eps)-optimal
	Delta   float64 // failure probability; <= 0 means 1/n
	Model   Model
	Seed    uint64
	Threads int // <= 0: GOMAXPROCS
	// MaxRRNodes stops sampling once the arena holds this many node
	// entries (memory guard); 0 means no limit. Hitting it is reported.
	MaxRRNodes int
}

// Result is a seed set with its estimate and guarantee.
type Result struct {
	Seeds    []uint32 // dense ids
	Estimate float64  // n · coverage in the independent family R2 / |R2|: unbiased
	Lower    float64  // lower confidence bound on the spread of Seeds
	UpperOPT float64  // upper confidence bound on the optimal spread
	Approx   float64  // Lower/UpperOPT: the guarantee achieved, w.p. ≥ 1-Delta
	Rounds   int
	RRSets   int   // sets drawn in both families
	RRNodes  int64 // their total size
	Capped   bool  // MaxRRNodes stopped the doubling early
	Sample   time.Duration
	Greedy   time.Duration
}

// Select runs OPIM-C (Tang, Tang, Xiao, Yuan, SIGMOD 2018): greedy on one
// family of RR sets R1, a lower bound on the spread of its choice from an
// independent family R2 and an upper bound on the optimum from R1; double
// both until the ratio reaches 1-1/e-Eps or the worst-case size θmax
// (where the IMM-style guarantee holds anyway) is reached. It usually stops
// orders of magnitude before θmax.
func Select(g *Graph, opt Options) (*Result, error) {
	n := g.N()
	if n == 0 {
		return nil, errors.New("empty graph")
	}
	if opt.K < 1 {
		return nil, fmt.Errorf("k must be at least 1, got %d", opt.K)
	}
	if !(opt.Eps > 0 && opt.Eps < 1-1/math.E) {
		return nil, fmt.Errorf("eps must be in (0, %.3f), got %g", 1-1/math.E, opt.Eps)
	}
	delta := opt.Delta
	if delta <= 0 {
		delta = 1 / float64(n)
	}
	if delta >= 1 {
		return nil, fmt.Errorf("delta must be in (0, 1), got %g", delta)
	}
	if opt.Model == LT {
		if err := g.CheckLT(); err != nil {
			return nil, err
		}
	}
	k := min(opt.K, n)
	eps := opt.Eps
	nf := float64(n)
	e1 := 1 - 1/math.E
	lnCnk := lnChoose(n, k)
	thetaMax := 2 * nf * math.Pow(e1*math.Sqrt(math.Log(6/delta))+math.Sqrt(e1*(lnCnk+math.Log(6/delta))), 2) / (eps * eps * float64(k))
	theta0 := thetaMax * eps * eps * float64(k) / nf
	iMax := max(1, int(math.Ceil(math.Log2(thetaMax/theta0)))) + 1
	a := math.Log(3 * float64(iMax) / delta)

	s := NewSampler(g, opt.Model, opt.Seed, opt.Threads)
	r1, r2 := newRRSets(), newRRSets()
	res := &Result{}
	var cw coverWork
	target := int(math.Ceil(theta0))
	for round := 1; ; round++ {
		t0 := time.Now()
		s.Extend(r1, streamR1, target-r1.Len())
		s.Extend(r2, streamR2, target-r2.Len())
		t1 := time.Now()
		cov := cw.maxCover(r1, n, k)
		lam2 := float64(CoveredBy(r2, n, cov.Seeds))
		res.Sample += t1.Sub(t0)
		res.Greedy += time.Since(t1)
		th1, th2 := float64(r1.Len()), float64(r2.Len())
		lower := (math.Pow(math.Sqrt(lam2+2*a/9)-math.Sqrt(a/2), 2) - a/18) * nf / th2
		upper := math.Pow(math.Sqrt(float64(cov.Upper)+a/2)+math.Sqrt(a/2), 2) * nf / th1
		res.Seeds = cov.Seeds
		res.Estimate = lam2 * nf / th2
		res.Lower = max(lower, 0)
		res.UpperOPT = upper
		res.Approx = res.Lower / upper
		res.Rounds = round
		res.RRSets = r1.Len() + r2.Len()
		res.RRNodes = int64(len(r1.Nodes) + len(r2.Nodes))
		if res.Approx >= e1-eps || round >= iMax || float64(r1.Len()) >= thetaMax {
			break
		}
		if opt.MaxRRNodes > 0 && 2*res.RRNodes > int64(opt.MaxRRNodes) {
			res.Capped = true
			break
		}
		target = min(2*r1.Len(), int(math.Ceil(thetaMax)))
	}
	return res, nil
}

// lnChoose is ln C(n, k) via log-gamma, exact enough for a sample bound.
func lnChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}
