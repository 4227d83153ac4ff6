package im

import (
	"sync"
	"sync/atomic"
	"time"
)

// freshEstimate replaces res.Estimate, R2's coverage, by the coverage in a
// fresh family of the same size. The doubling stops when R2 happens to
// look good, so R2's coverage leans high, by a good part of its standard
// error: +30% was seen with ε = 0.5 and a few hundred sets. The fresh
// family is unbiased and cheap: its sets only need to know whether they
// meet a seed, so they stop at the seeds and are not kept. With explain
// it also sets res.Gains and res.Next (see explain).
func freshEstimate(s *Sampler, res *Result, cands []uint32, costs []float64, withExplain bool) {
	if withExplain {
		explain(s, res, cands, costs)
		return
	}
	t0 := time.Now()
	count := res.r2Sets
	saved := s.stop
	s.StopAt(res.Seeds)
	r3 := newRRSets()
	s.Extend(r3, streamR3, count)
	s.stop = saved
	res.Estimate = float64(r3.Hits) * s.Total() / float64(count)
	res.RRSets += count
	res.freshSets = count
	res.Sample += time.Since(t0)
}

// explainSets is the least size of the family explain draws. R2 is sized
// to prove the ratio, which needs far fewer sets than telling apart the
// gains of seeds that each add a few percent: with a few thousand sets,
// a gain of 1% of the total is ±15%. 65,536 sets bring that to ±4%.
const explainSets = 1 << 16

// explain draws the estimate's fresh family (as many sets as the last R2,
// at least explainSets) and from it sets res.Estimate, res.Gains and
// res.Next.
//
// Each set is credited to the first seed, in the order chosen, that it
// holds: that count is the seed's marginal gain given the seeds before
// it, and the counts add up to the sets covered, so the gains sum to the
// estimate exactly. Finding the first seed means walking a set to its end
// unless it meets Seeds[0], where it can stop; with sentinels it stops at
// any sentinel instead (that is the point of them) and the sentinel it
// meets first gets the set. The sets that no seed covers are walked to
// their end anyway, so they count, for every other candidate, the
// marginal gain it would add: Next.
//
// costs nil ranks the candidates left by gain, else by gain per cost.
// The family is the same stream as freshEstimate's, and whether a set
// holds a seed does not depend on where its walk stops, so with as many
// sets Estimate would be the same; with more it is only more precise.
// Explanations cost more, though: the walks that meet a seed go on to
// their end, and there may be more of them, which is why they are asked
// for.
func explain(s *Sampler, res *Result, cands []uint32, costs []float64) {
	t0 := time.Now()
	defer func() { res.Sample += time.Since(t0) }()
	count := max(res.r2Sets, explainSets)
	seeds := res.Seeds
	res.Gains = make([]float64, len(seeds))
	if count == 0 || len(seeds) == 0 {
		return
	}
	n := s.g.N()
	rank := make([]int32, n)
	for i := range rank {
		rank[i] = -1
	}
	for i, v := range seeds {
		rank[v] = int32(i)
	}
	stopAt := seeds[:1]
	if res.Sentinels > 0 {
		stopAt = seeds[:res.Sentinels]
	}
	saved := s.stop
	s.StopAt(stopAt)
	defer func() { s.stop = saved }()

	type tally struct {
		byRank []int64 // sets whose first seed is Seeds[i]
		free   []int32 // per node: uncovered sets holding it
	}
	nchunks := (count + chunk - 1) / chunk
	threads := min(s.threads, nchunks)
	tallies := make([]tally, threads)
	var next atomic.Int64
	var wg sync.WaitGroup
	for t := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := s.getWorker()
			defer s.pool.Put(w)
			tl := tally{byRank: make([]int64, len(seeds)), free: make([]int32, n)}
			var set []uint32
			for {
				c := int(next.Add(1) - 1)
				if c >= nchunks {
					break
				}
				for i := c * chunk; i < min((c+1)*chunk, count); i++ {
					r := newRNG(s.seed, streamR3, uint64(i))
					var at uint32
					var hit bool
					set, at, hit = s.sample(w, &r, set[:0])
					if hit {
						tl.byRank[rank[at]]++
						continue
					}
					first := int32(-1)
					for _, v := range set {
						if rv := rank[v]; rv >= 0 && (first < 0 || rv < first) {
							first = rv
						}
					}
					if first >= 0 {
						tl.byRank[first]++
						continue
					}
					for _, v := range set {
						tl.free[v]++
					}
				}
			}
			tallies[t] = tl
		}()
	}
	wg.Wait()
	// Integer sums: the same whatever the threads did.
	per := s.Total() / float64(count)
	covered := int64(0)
	for i := range seeds {
		var c int64
		for _, tl := range tallies {
			c += tl.byRank[i]
		}
		covered += c
		res.Gains[i] = float64(c) * per
	}
	res.Estimate = float64(covered) * s.Total() / float64(count)
	res.RRSets += count
	res.freshSets = count

	best, bestGain := -1, int64(0)
	better := func(v uint32, g int64) bool {
		if best < 0 {
			return true
		}
		if costs == nil {
			return g > bestGain // ties: the lower id, visited first
		}
		// Gain per cost, compared by cross-multiplying so that a free
		// candidate with a gain comes first and ties go to the larger
		// gain, then the lower cost.
		a, b := float64(g)*costs[best], float64(bestGain)*costs[v]
		if a != b {
			return a > b
		}
		if g != bestGain {
			return g > bestGain
		}
		return costs[v] < costs[best]
	}
	for _, v := range orAll(cands, n) {
		if rank[v] >= 0 {
			continue
		}
		var g int64
		for _, tl := range tallies {
			g += int64(tl.free[v])
		}
		if better(v, g) {
			best, bestGain = int(v), g
		}
	}
	if best >= 0 {
		res.Next = &NextSeed{Node: uint32(best), Gain: float64(bestGain) * per}
		if costs != nil {
			res.Next.Cost = costs[best]
		}
	}
}
