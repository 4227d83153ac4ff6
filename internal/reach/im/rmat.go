package im

import (
	"bufio"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
)

// R-MAT quadrant probabilities (Chakrabarti, Zhan, Faloutsos 2004), the
// values SNAP and Graph500 use.
const (
	rmatA = 0.57
	rmatB = 0.19
	rmatC = 0.19
)

// RMAT writes a directed R-MAT graph with the given number of distinct
// edges, no self-loops and no duplicates, as "src\tdst" lines sorted by
// (src, dst). Node ids are below nodes; ids that get no edge simply do not
// appear, as with SNAP's generator. It returns the number of distinct node
// ids that appear. The output depends only on (nodes, edges, seed).
func RMAT(w io.Writer, nodes int, edges int64, seed uint64) (int, error) {
	if nodes < 2 || nodes > 1<<32 {
		return 0, fmt.Errorf("nodes must be in [2, 2^32], got %d", nodes)
	}
	if edges < 1 || uint64(edges) > uint64(nodes)*uint64(nodes-1)/2 {
		return 0, fmt.Errorf("edges must be in [1, nodes·(nodes-1)/2], got %d", edges)
	}
	scale := bits.Len64(uint64(nodes - 1))
	// Thresholds on 16-bit slices of one random word: four levels per draw
	// instead of one, at a quantisation of 2^-16 on a, b, c.
	a, b, c := rmatA, rmatB, rmatC
	ta := uint64(a * 65536)
	tb := uint64((a + b) * 65536)
	tc := uint64((a + b + c) * 65536)
	keys := make([]uint64, 0, edges)
	var drawn uint64
	for round := 0; int64(len(keys)) < edges; round++ {
		if round == 64 {
			return 0, fmt.Errorf("could not draw %d distinct edges: the graph is too dense for R-MAT", edges)
		}
		need := edges - int64(len(keys))
		for need > 0 {
			r := newRNG(seed, streamGen, drawn)
			drawn++
			var src, dst uint64
			var word uint64
			for l := 0; l < scale; l++ {
				if l%4 == 0 {
					word = r.next()
				}
				x := word & 0xffff
				word >>= 16
				src <<= 1
				dst <<= 1
				switch {
				case x < ta:
				case x < tb:
					dst |= 1
				case x < tc:
					src |= 1
				default:
					src |= 1
					dst |= 1
				}
			}
			if src >= uint64(nodes) || dst >= uint64(nodes) || src == dst {
				continue
			}
			keys = append(keys, src<<32|dst)
			need--
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var line []byte
	seen := make([]bool, nodes)
	for _, k := range keys {
		s, d := k>>32, k&0xffffffff
		seen[s], seen[d] = true, true
		line = strconv.AppendUint(line[:0], s, 10)
		line = append(line, '\t')
		line = strconv.AppendUint(line, d, 10)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return 0, err
		}
	}
	present := 0
	for _, b := range seen {
		if b {
			present++
		}
	}
	return present, bw.Flush()
}
