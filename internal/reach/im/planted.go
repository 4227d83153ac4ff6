package im

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Planted-community graphs: the trap for choosing channels by their
// number of followers. One community has many hubs that all reach the same
// audience (outlets syndicating one another, pages of one network); the
// other communities each have a single, smaller hub. The shared hubs have
// the highest out-degrees, so a degree sort picks them one after another,
// though once one or two are chosen the others reach nobody new. Greedy
// takes one or two of them and then the hubs of the other communities.
const (
	plantedSharedHubs = 100 // hubs of the shared audience (fewer on tiny graphs)
	plantedHubProb    = 0.5 // hub → member of its audience
	// plantedBranching is the expected number of members one member
	// passes a story on to inside its community: below 1, so cascades
	// grow a community's reach without flooding it.
	plantedBranching = 0.5
)

// Planted writes a planted-community graph with the given number of nodes
// and distinct edges as "src\tdst\tprob" lines, and returns the number of
// nodes (all of them appear). Communities 1..C have one hub each and
// audiences of random size between a/2 and 3a/2; community 0 has H hubs
// (up to 100) that all reach its audience of 2a members, so every shared
// hub has a larger out-degree than any other hub. Hub edges fire with
// probability 0.5. The edges left over join random members of the same
// community with probability 0.5/(mean number of such edges per member),
// so that cascades stay subcritical. Node ids are shuffled, so nothing
// about them gives the structure away. The output depends only on
// (nodes, edges, seed).
func Planted(w io.Writer, nodes int, edges int64, seed uint64) (int, error) {
	if nodes < 100 || nodes > 1<<31 {
		return 0, fmt.Errorf("nodes must be in [100, 2^31], got %d", nodes)
	}
	n := nodes
	hubs := min(plantedSharedHubs, n/20)
	comms := max(2, min(200, n/25))
	a := (n - hubs - comms) / (comms + 2) // mean audience of a single-hub community
	// Audience sizes: 2a for the shared one, a/2..3a/2 for the others; the
	// remainder of the nodes goes to the last community.
	size := make([]int, comms+1)
	size[0] = 2 * a
	r := rand.New(rand.NewPCG(splitmix(seed^streamGen), 0x706c616e746564))
	used := hubs + comms + size[0]
	for c := 1; c <= comms; c++ {
		size[c] = a/2 + r.IntN(a+1)
		used += size[c]
	}
	if used > n {
		// Random sizes overshot: trim the largest until they fit.
		for used > n {
			c := 1 + r.IntN(comms)
			if size[c] > 1 {
				size[c]--
				used--
			}
		}
	}
	size[comms] += n - used
	structural := int64(hubs)*int64(size[0]) + int64(n-hubs-comms-size[0])
	if edges < structural {
		return 0, fmt.Errorf("edges must be at least %d for %d nodes (the hub edges), got %d", structural, n, edges)
	}
	// Layout before shuffling: the shared hubs, then per community its
	// hub (except community 0) and its members.
	perm := r.Perm(n)
	id := func(i int) uint64 { return uint64(perm[i]) }
	type span struct{ hub0, hub1, mem0, mem1 int } // hubs [hub0, hub1), members [mem0, mem1)
	spans := make([]span, comms+1)
	next := hubs
	spans[0] = span{0, hubs, next, next + size[0]}
	next += size[0]
	for c := 1; c <= comms; c++ {
		spans[c] = span{next, next + 1, next + 1, next + 1 + size[c]}
		next += 1 + size[c]
	}
	type edge struct {
		u, v uint64
		p    float64
	}
	es := make([]edge, 0, edges)
	for _, s := range spans {
		for h := s.hub0; h < s.hub1; h++ {
			for m := s.mem0; m < s.mem1; m++ {
				es = append(es, edge{id(h), id(m), plantedHubProb})
			}
		}
	}
	// Member-to-member edges inside communities, a community chosen in
	// proportion to its size so the density is even.
	members := n - hubs - comms
	extra := edges - int64(len(es))
	pIntra := min(1, plantedBranching*float64(members)/max(1, float64(extra)))
	cum := make([]int, comms+1)
	acc := 0
	for c, s := range spans {
		acc += s.mem1 - s.mem0
		cum[c] = acc
	}
	// Draw, sort, drop duplicates, draw what is missing: as RMAT does,
	// no hash set of ten million keys.
	keys := make([]uint64, 0, extra)
	for round := 0; int64(len(keys)) < extra; round++ {
		if round == 64 {
			return 0, fmt.Errorf("could not draw %d distinct member edges: too many edges for %d nodes", extra, n)
		}
		for need := extra - int64(len(keys)); need > 0; {
			x := r.IntN(members)
			c, _ := slices.BinarySearch(cum, x+1)
			s := spans[c]
			if s.mem1-s.mem0 < 2 {
				continue
			}
			u := s.mem0 + r.IntN(s.mem1-s.mem0)
			v := s.mem0 + r.IntN(s.mem1-s.mem0)
			if u == v {
				continue
			}
			keys = append(keys, uint64(u)<<32|uint64(v))
			need--
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
	}
	for _, key := range keys {
		es = append(es, edge{id(int(key >> 32)), id(int(key & 0xffffffff)), pIntra})
	}
	slices.SortFunc(es, func(x, y edge) int {
		if x.u != y.u {
			return cmpU64(x.u, y.u)
		}
		return cmpU64(x.v, y.v)
	})
	bw := bufio.NewWriterSize(w, 1<<20)
	var line []byte
	for _, e := range es {
		line = strconv.AppendUint(line[:0], e.u, 10)
		line = append(line, '\t')
		line = strconv.AppendUint(line, e.v, 10)
		line = append(line, '\t')
		line = strconv.AppendFloat(line, e.p, 'g', 6, 64)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return 0, err
		}
	}
	return n, bw.Flush()
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
