package im

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Spread is a Monte Carlo estimate of expected spread.
type Spread struct {
	Mean, StdErr float64
	Runs         int
}

// MonteCarlo estimates the expected number of nodes the seeds activate by
// simulating runs cascades forwards, independently of the RR machinery it
// checks. Run i uses its own stream (seed, i), so the result does not
// depend on threads.
func MonteCarlo(g *Graph, f *Forward, model Model, seeds []uint32, runs int, seed uint64, threads int) Spread {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if runs <= 0 {
		return Spread{}
	}
	n := g.N()
	var sum, sumSq atomic.Int64 // integer sums: exact, so order does not matter
	var next atomic.Int64
	var wg sync.WaitGroup
	for t := 0; t < min(threads, runs); t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stamp := make([]uint32, n)
			var acc, thr []float64
			var tstamp []uint32
			if model == LT {
				acc, thr, tstamp = make([]float64, n), make([]float64, n), make([]uint32, n)
			}
			queue := make([]uint32, 0, 1024)
			var s, s2 int64
			for ep := uint32(1); ; ep++ {
				i := next.Add(1) - 1
				if i >= int64(runs) {
					break
				}
				r := newRNG(seed, streamMC, uint64(i))
				queue = queue[:0]
				for _, v := range seeds {
					if stamp[v] != ep {
						stamp[v] = ep
						queue = append(queue, v)
					}
				}
				for q := 0; q < len(queue); q++ {
					u := queue[q]
					for j := f.Off[u]; j < f.Off[u+1]; j++ {
						v := f.Dst[j]
						if stamp[v] == ep {
							continue
						}
						if model == IC {
							if p := f.Prob[j]; p >= 1 || r.float() <= float64(p) {
								stamp[v] = ep
								queue = append(queue, v)
							}
							continue
						}
						// LT: thresholds drawn lazily, the first time a node is touched.
						if tstamp[v] != ep {
							tstamp[v] = ep
							acc[v] = 0
							thr[v] = r.float()
						}
						acc[v] += float64(f.Prob[j])
						if acc[v] >= thr[v] {
							stamp[v] = ep
							queue = append(queue, v)
						}
					}
				}
				c := int64(len(queue))
				s += c
				s2 += c * c
			}
			sum.Add(s)
			sumSq.Add(s2)
		}()
	}
	wg.Wait()
	rn := float64(runs)
	mean := float64(sum.Load()) / rn
	var se float64
	if runs > 1 {
		v := (float64(sumSq.Load()) - rn*mean*mean) / (rn - 1)
		se = math.Sqrt(max(v, 0) / rn)
	}
	return Spread{Mean: mean, StdErr: se, Runs: runs}
}
