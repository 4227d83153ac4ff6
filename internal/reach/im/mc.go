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

// cascader simulates cascades forwards for one goroutine: epoch-stamped
// marks, so that no run clears arrays of n.
type cascader struct {
	f      *Forward
	model  Model
	stamp  []uint32
	acc    []float64 // LT: in-weight of active neighbours so far
	thr    []float64 // LT: thresholds, drawn the first time a node is touched
	tstamp []uint32
	queue  []uint32
	ep     uint32
}

func newCascader(n int, f *Forward, model Model) *cascader {
	c := &cascader{f: f, model: model, stamp: make([]uint32, n), queue: make([]uint32, 0, 1024)}
	if model == LT {
		c.acc, c.thr, c.tstamp = make([]float64, n), make([]float64, n), make([]uint32, n)
	}
	return c
}

// run simulates one cascade from seeds with r and returns the nodes it
// activates (valid until the next run).
func (c *cascader) run(r *rng, seeds []uint32) []uint32 {
	c.ep++
	ep, f, stamp := c.ep, c.f, c.stamp
	queue := c.queue[:0]
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
			if c.model == IC {
				if p := f.Prob[j]; p >= 1 || r.float() <= float64(p) {
					stamp[v] = ep
					queue = append(queue, v)
				}
				continue
			}
			if c.tstamp[v] != ep {
				c.tstamp[v] = ep
				c.acc[v] = 0
				c.thr[v] = r.float()
			}
			c.acc[v] += float64(f.Prob[j])
			if c.acc[v] >= c.thr[v] {
				stamp[v] = ep
				queue = append(queue, v)
			}
		}
	}
	c.queue = queue
	return queue
}

// eachRun calls fn(run index, activated nodes) for runs cascades from
// seeds spread over threads goroutines. Run i uses its own stream
// (seed, i), so what each run activates does not depend on threads.
func eachRun(g *Graph, f *Forward, model Model, seeds []uint32, runs int, seed uint64, threads int, fn func(c *cascader, i int, active []uint32)) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for t := 0; t < min(threads, runs); t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newCascader(g.N(), f, model)
			for {
				i := next.Add(1) - 1
				if i >= int64(runs) {
					return
				}
				r := newRNG(seed, streamMC, uint64(i))
				fn(c, int(i), c.run(&r, seeds))
			}
		}()
	}
	wg.Wait()
}

// MonteCarlo estimates the expected number of nodes the seeds activate by
// simulating runs cascades forwards, independently of the RR machinery it
// checks. Run i uses its own stream (seed, i), so the result does not
// depend on threads.
func MonteCarlo(g *Graph, f *Forward, model Model, seeds []uint32, runs int, seed uint64, threads int) Spread {
	if runs <= 0 {
		return Spread{}
	}
	var sum, sumSq atomic.Int64 // integer sums: exact, so order does not matter
	eachRun(g, f, model, seeds, runs, seed, threads, func(_ *cascader, _ int, active []uint32) {
		c := int64(len(active))
		sum.Add(c)
		sumSq.Add(c * c)
	})
	rn := float64(runs)
	mean := float64(sum.Load()) / rn
	var se float64
	if runs > 1 {
		v := (float64(sumSq.Load()) - rn*mean*mean) / (rn - 1)
		se = math.Sqrt(max(v, 0) / rn)
	}
	return Spread{Mean: mean, StdErr: se, Runs: runs}
}

// MonteCarloWeighted is MonteCarlo for weighted targets: the expected sum
// of weights[i] over the targets[i] the seeds activate (nil weights: 1
// each; a target listed twice counts with the sum; nil targets: every
// node, weight 1, as MonteCarlo). Targets must be dense ids of g. The
// same runs as MonteCarlo's are simulated, and the result does not depend
// on threads either: each run's value is kept and summed in run order.
func MonteCarloWeighted(g *Graph, f *Forward, model Model, seeds []uint32, targets []uint32, weights []float64, runs int, seed uint64, threads int) Spread {
	if runs <= 0 {
		return Spread{}
	}
	wt := make([]float64, g.N())
	if targets == nil {
		for i := range wt {
			wt[i] = 1
		}
	}
	for i, v := range targets {
		if weights == nil {
			wt[v]++
		} else {
			wt[v] += weights[i]
		}
	}
	vals := make([]float64, runs)
	eachRun(g, f, model, seeds, runs, seed, threads, func(_ *cascader, i int, active []uint32) {
		s := 0.0
		for _, v := range active {
			s += wt[v]
		}
		vals[i] = s
	})
	rn := float64(runs)
	sum := 0.0
	for _, x := range vals {
		sum += x
	}
	mean := sum / rn
	var se float64
	if runs > 1 {
		ss := 0.0 // two passes: no cancellation when the spread is large
		for _, x := range vals {
			ss += (x - mean) * (x - mean)
		}
		se = math.Sqrt(ss / (rn - 1) / rn)
	}
	return Spread{Mean: mean, StdErr: se, Runs: runs}
}
