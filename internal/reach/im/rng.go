package im

import "math/bits"

// rng is wyrand: one multiply-xor per draw and a single word of state, so
// every RR set and every Monte Carlo run can own a private stream seeded
// from its index. That makes results independent of the thread count and
// of how work is split, at the cost of nothing measurable.
type rng struct{ s uint64 }

// Stream tags keep the sample families independent of one another.
const (
	streamR1    uint64 = 0x9e3779b97f4a7c15
	streamR2    uint64 = 0xc2b2ae3d27d4eb4f
	streamMC    uint64 = 0x165667b19e3779f9
	streamGen   uint64 = 0x27d4eb2f165667c5
	streamPilot uint64 = 0x85ebca77c2b2ae63
	// The fallback families when sentinels fail to prove the ratio.
	streamR1b uint64 = 0xd6e8feb86659fd93
	streamR2b uint64 = 0xa0761d6478bd642f
	streamR3  uint64 = 0xe7037ed1a0b428db // the estimate after sentinels
)

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newRNG derives the stream for item idx of family stream under seed.
func newRNG(seed, stream, idx uint64) rng {
	return rng{splitmix(splitmix(seed^stream) + idx)}
}

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// float returns a uniform value in (0, 1]: never 0, so log() stays finite.
func (r *rng) float() float64 {
	return float64(r.next()>>11+1) * (1.0 / (1 << 53))
}

// below returns a uniform integer in [0, n) by the multiply-high method;
// the bias is n/2^64, far below anything a sample could detect.
func (r *rng) below(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}
