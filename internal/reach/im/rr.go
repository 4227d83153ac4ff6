package im

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// RRSets is a collection of reverse-reachable sets in one flat arena:
// set i is Nodes[Off[i]:Off[i+1]]. One arena instead of a slice per set
// keeps the garbage collector out of the way and the scans sequential.
type RRSets struct {
	Nodes []uint32
	Off   []int // len Len()+1
	// Hits counts the sets drawn that reached a sentinel node (see
	// Sampler.StopAt). They are covered by any seed set holding the
	// sentinels, so they are counted, not stored: that is what makes RR
	// sets small on graphs where most of them are huge.
	Hits int
}

// Len is the number of sets stored.
func (r *RRSets) Len() int { return len(r.Off) - 1 }

// Drawn is the number of sets drawn: stored ones plus sentinel hits.
func (r *RRSets) Drawn() int { return r.Len() + r.Hits }

// Set returns set i.
func (r *RRSets) Set(i int) []uint32 { return r.Nodes[r.Off[i]:r.Off[i+1]] }

func newRRSets() *RRSets { return &RRSets{Off: []int{0}} }

// Sampler draws RR sets. Set i of a family is drawn from its own random
// stream derived from (seed, family, i), so a collection is the same for
// any number of threads and however it was grown.
type Sampler struct {
	g       *Graph
	model   Model
	seed    uint64
	threads int
	// invLog[v] = 1/ln(1-p) for nodes whose in-edges share probability p:
	// the gap to the next live edge is then floor(ln U · invLog[v]), one
	// logarithm per live edge instead of one coin per edge.
	invLog []float64
	pool   sync.Pool // per-worker visited stamps
	// stop is a bitset of sentinel nodes: a set that reaches one ends
	// there and counts as a hit. A bitset rather than a []bool because it
	// is probed for every node a set gains, and n/8 bytes stay in cache.
	stop []uint64
	// limit caps the nodes of one set (0: none); the pilot of the HIST
	// phase uses it so that a huge set costs no more than limit nodes.
	limit int
	// roots draws the root of each set in proportion to the target
	// weights; nil draws it uniformly from all nodes.
	roots *aliasTable
	// keep is a bitset of the nodes a stored set keeps (the candidate
	// seeds); nil keeps all. The traversal still passes through every
	// node, but a node that may never be a seed only costs memory and
	// greedy time in a stored set, and giving it no coverage is what keeps
	// greedy, the best single node and the upper bound on OPT to the
	// candidates.
	keep []uint64
}

// Total is the weight all estimates are in: the sum of the target
// weights, or the number of nodes without targets.
func (s *Sampler) Total() float64 {
	if s.roots != nil {
		return s.roots.total
	}
	return float64(s.g.N())
}

func bitset(n int, nodes []uint32) []uint64 {
	b := make([]uint64, (n+63)/64)
	for _, v := range nodes {
		b[v>>6] |= 1 << (v & 63)
	}
	return b
}

func inSet(b []uint64, v uint32) bool { return b[v>>6]&(1<<(v&63)) != 0 }

// StopAt makes later sets end as soon as they reach a node of sentinels,
// counting them in RRSets.Hits instead of storing them; nil or empty turns
// it off. The set of such a hit is covered by any seed set containing the
// sentinels, so coverage counts stay exact for those seed sets.
func (s *Sampler) StopAt(sentinels []uint32) {
	if len(sentinels) == 0 {
		s.stop = nil
		return
	}
	s.stop = bitset(s.g.N(), sentinels)
}

// NewSampler prepares sampling on g. threads <= 0 means GOMAXPROCS.
func NewSampler(g *Graph, model Model, seed uint64, threads int) *Sampler {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	s := &Sampler{g: g, model: model, seed: seed, threads: threads}
	if model == IC {
		s.invLog = make([]float64, g.N())
		for v, p := range g.NodeProb {
			if p > 0 && p < 1 {
				s.invLog[v] = 1 / math.Log1p(-float64(p))
			}
		}
	}
	return s
}

// worker is the per-goroutine state: epoch-stamped visited marks, so no
// clearing is needed between sets (one increment instead of a memset of n).
type worker struct {
	stamp []uint32
	epoch uint32
}

func (s *Sampler) getWorker() *worker {
	if w, ok := s.pool.Get().(*worker); ok {
		return w
	}
	return &worker{stamp: make([]uint32, s.g.N())}
}

const chunk = 128 // RR sets per unit of work handed to a goroutine

// Extend appends count sets of family stream to rr, continuing its
// numbering (which counts hits too, so a family is the same sets however
// it was grown).
func (s *Sampler) Extend(rr *RRSets, stream uint64, count int) {
	if count <= 0 {
		return
	}
	first := rr.Drawn()
	nchunks := (count + chunk - 1) / chunk
	type piece struct {
		nodes []uint32
		ends  []int
		hits  int
	}
	pieces := make([]piece, nchunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for t := 0; t < min(s.threads, nchunks); t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := s.getWorker()
			defer s.pool.Put(w)
			for {
				c := int(next.Add(1) - 1)
				if c >= nchunks {
					return
				}
				lo, hi := c*chunk, min((c+1)*chunk, count)
				var nodes []uint32
				ends := make([]int, 0, hi-lo)
				hits := 0
				for i := lo; i < hi; i++ {
					r := newRNG(s.seed, stream, uint64(first+i))
					var hit bool
					nodes, _, hit = s.sample(w, &r, nodes)
					if hit {
						hits++
						continue
					}
					ends = append(ends, len(nodes))
				}
				pieces[c] = piece{nodes, ends, hits}
			}
		}()
	}
	wg.Wait()
	total := len(rr.Nodes)
	for _, p := range pieces {
		total += len(p.nodes)
	}
	rr.Nodes = growU32(rr.Nodes, total)
	for _, p := range pieces {
		base := len(rr.Nodes)
		rr.Nodes = append(rr.Nodes, p.nodes...)
		for _, e := range p.ends {
			rr.Off = append(rr.Off, base+e)
		}
		rr.Hits += p.hits
	}
}

func growU32(a []uint32, total int) []uint32 {
	if cap(a) >= total {
		return a
	}
	b := make([]uint32, len(a), total)
	copy(b, a)
	return b
}

// sample appends one RR set (a random root, uniform or drawn by target
// weight, and every node that reaches it in a random live-edge world) to
// out, keeping only the nodes of s.keep. If the set reaches a sentinel it
// appends nothing and reports a hit and the sentinel.
func (s *Sampler) sample(w *worker, r *rng, out []uint32) ([]uint32, uint32, bool) {
	start := len(out)
	out, at, hit := s.walk(w, r, out)
	if hit || s.keep == nil {
		return out, at, hit
	}
	j := start
	for _, v := range out[start:] {
		if inSet(s.keep, v) {
			out[j] = v
			j++
		}
	}
	return out[:j], 0, false
}

// walk is sample without the filter by s.keep.
func (s *Sampler) walk(w *worker, r *rng, out []uint32) ([]uint32, uint32, bool) {
	g := s.g
	w.epoch++
	if w.epoch == 0 { // wrapped: old stamps could collide, so clear once per 2^32 sets
		clear(w.stamp)
		w.epoch = 1
	}
	ep := w.epoch
	var root uint32
	if s.roots != nil {
		root = s.roots.draw(r)
	} else {
		root = uint32(r.below(uint64(g.N())))
	}
	start := len(out)
	stop := s.stop
	if stop != nil && stop[root>>6]&(1<<(root&63)) != 0 {
		return out, root, true
	}
	out = append(out, root)
	w.stamp[root] = ep
	if s.model == LT {
		return s.walkLT(w, r, out, start, root)
	}
	limit := s.limit
	// BFS over in-edges; the set itself is the queue.
	for q := start; q < len(out); q++ {
		if limit > 0 && len(out)-start >= limit {
			return out[:start+limit], 0, false
		}
		v := out[q]
		lo, hi := g.Off[v], g.Off[v+1]
		if lo == hi {
			continue
		}
		if p := g.NodeProb[v]; p >= 0 {
			if p >= 1 {
				for i := lo; i < hi; i++ {
					if u := g.Src[i]; w.stamp[u] != ep {
						w.stamp[u] = ep
						if stop != nil && stop[u>>6]&(1<<(u&63)) != 0 {
							return out[:start], u, true
						}
						out = append(out, u)
					}
				}
				continue
			}
			if p <= 0 {
				continue
			}
			il := s.invLog[v]
			left := float64(hi - lo)
			i := lo
			for {
				gap := math.Log(r.float()) * il
				if gap >= left {
					break
				}
				i += uint32(gap)
				if u := g.Src[i]; w.stamp[u] != ep {
					w.stamp[u] = ep
					if stop != nil && stop[u>>6]&(1<<(u&63)) != 0 {
						return out[:start], u, true
					}
					out = append(out, u)
				}
				i++
				left = float64(hi - i)
				if left <= 0 {
					break
				}
			}
			continue
		}
		// Probabilities differ: they are sorted in decreasing order, so the
		// current one bounds all that follow. Skip geometrically with that
		// bound, then keep the landing edge with probability p_i/bound —
		// each edge is still live independently with exactly p_i.
		for i := lo; i < hi; {
			q := float64(g.Prob[i])
			if q <= 0 {
				break
			}
			if q < 1 {
				gap := math.Log(r.float()) / math.Log1p(-q)
				if gap >= float64(hi-i) {
					break
				}
				i += uint32(gap)
				if pi := float64(g.Prob[i]); pi < q && r.float() > pi/q {
					i++
					continue
				}
			}
			if u := g.Src[i]; w.stamp[u] != ep {
				w.stamp[u] = ep
				if stop != nil && stop[u>>6]&(1<<(u&63)) != 0 {
					return out[:start], u, true
				}
				out = append(out, u)
			}
			i++
		}
	}
	return out, 0, false
}

// walkLT: under linear threshold each node keeps at most one in-edge,
// edge i with probability p_i, so an RR set is a random walk backwards
// that stops at a node with no live in-edge or at a node already seen.
func (s *Sampler) walkLT(w *worker, r *rng, out []uint32, start int, v uint32) ([]uint32, uint32, bool) {
	g := s.g
	ep := w.epoch
	for {
		lo, hi := g.Off[v], g.Off[v+1]
		if lo == hi || (s.limit > 0 && len(out)-start >= s.limit) {
			return out, 0, false
		}
		x := r.float()
		var u uint32
		found := false
		if p := g.NodeProb[v]; p >= 0 {
			if p > 0 {
				if k := uint64(x / float64(p)); k < uint64(hi-lo) {
					u, found = g.Src[lo+uint32(k)], true
				}
			}
		} else {
			acc := 0.0
			for i := lo; i < hi; i++ {
				acc += float64(g.Prob[i])
				if x <= acc {
					u, found = g.Src[i], true
					break
				}
			}
		}
		if !found || w.stamp[u] == ep {
			return out, 0, false
		}
		if s.stop != nil && s.stop[u>>6]&(1<<(u&63)) != 0 {
			return out[:start], u, true
		}
		w.stamp[u] = ep
		out = append(out, u)
		v = u
	}
}
