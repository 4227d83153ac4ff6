package im

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// LineError is a bad line in an edge list.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

const maxNodeID = 1<<63 - 1

// ReadEdgeList reads a SNAP-style edge list: one "src dst [prob]" per line,
// fields separated by spaces, tabs or commas, "#" or "%" starting a comment,
// blank lines ignored. Node ids are non-negative integers below 2^63; nodes
// are the ids that appear on some edge, numbered densely in increasing id
// order. Without a probability column the weighted cascade applies: every
// in-edge of v has probability 1/indeg(v). With one, every line must have it.
//
// The parser is hand-written over a large buffered reader because
// strings.Fields and strconv on every line would cost several times the
// budget of 3 s for 10M edges.
func ReadEdgeList(r io.Reader) (*Graph, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var (
		src32, dst32 blocks[uint32]
		src64, dst64 *blocks[uint64] // used once an id does not fit in 32 bits
		prob         blocks[float32]
		hasProb      = -1 // unknown until the first edge
		probLine     int
		maxID        uint64
		line         int
	)
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, &LineError{line + 1, "line longer than 1 MiB"}
		}
		if len(b) == 0 && err != nil {
			if err == io.EOF {
				break
			}
			return nil, err
		}
		line++
		var f [3]uint64
		var p float32
		nf := 0
		i := 0
		for {
			for i < len(b) && isSep(b[i]) {
				i++
			}
			if i == len(b) || b[i] == '#' || b[i] == '%' {
				break
			}
			if nf == 3 {
				return nil, &LineError{line, "more than three fields (want src dst [prob])"}
			}
			if nf < 2 {
				var x uint64
				start := i
				for i < len(b) && b[i]-'0' < 10 {
					d := uint64(b[i] - '0')
					if x > (maxNodeID-d)/10 {
						return nil, &LineError{line, fmt.Sprintf("node id %s… is larger than 2^63-1", b[start:i+1])}
					}
					x = x*10 + d
					i++
				}
				if i == start || (i < len(b) && !isSep(b[i]) && b[i] != '#' && b[i] != '%') {
					return nil, &LineError{line, fmt.Sprintf("node id %q is not a non-negative integer", token(b, start))}
				}
				f[nf] = x
			} else {
				start := i
				v, ok := parseProb(b, &i)
				if !ok {
					t := token(b, start)
					fv, perr := strconv.ParseFloat(t, 64)
					if perr != nil {
						return nil, &LineError{line, fmt.Sprintf("probability %q is not a number", t)}
					}
					v, i = fv, start+len(t)
				}
				if !(v >= 0 && v <= 1) {
					return nil, &LineError{line, fmt.Sprintf("probability %q is outside [0, 1]", token(b, start))}
				}
				p = float32(v)
			}
			nf++
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if nf == 0 {
			if err == io.EOF {
				break
			}
			continue
		}
		if nf == 1 {
			return nil, &LineError{line, "only one field (want src dst [prob])"}
		}
		withProb := 0
		if nf == 3 {
			withProb = 1
		}
		switch {
		case hasProb < 0:
			hasProb, probLine = withProb, line
		case hasProb != withProb && hasProb == 1:
			return nil, &LineError{line, fmt.Sprintf("no probability, but line %d has one: give it on every line or on none", probLine)}
		case hasProb != withProb:
			return nil, &LineError{line, fmt.Sprintf("a probability, but line %d has none: give it on every line or on none", probLine)}
		}
		maxID = max(maxID, f[0], f[1])
		if src64 == nil && maxID > math.MaxUint32 {
			src64, dst64 = widen(&src32), widen(&dst32)
		}
		if src64 != nil {
			src64.add(f[0])
			dst64.add(f[1])
		} else {
			src32.add(uint32(f[0]))
			dst32.add(uint32(f[1]))
		}
		if hasProb == 1 {
			prob.add(p)
		}
		if err == io.EOF {
			break
		}
	}
	m := src32.n
	if src64 != nil {
		m = src64.n
	}
	if m == 0 {
		return nil, errors.New("no edges")
	}
	var ids []uint64
	if src64 == nil && maxID < uint64(2*m+1<<16) {
		// Ids are dense enough for a lookup table: rank them in place,
		// which needs no second copy of the edges.
		table := make([]uint32, maxID+1)
		for b := range src32.b {
			for i, s := range src32.b[b] {
				table[s] = 1
				table[dst32.b[b][i]] = 1
			}
		}
		for id, t := range table {
			if t != 0 {
				table[id] = uint32(len(ids))
				ids = append(ids, uint64(id))
			}
		}
		for b := range src32.b {
			sb, db := src32.b[b], dst32.b[b]
			for i := range sb {
				sb[i] = table[sb[i]]
				db[i] = table[db[i]]
			}
		}
	} else {
		if src64 == nil {
			src64, dst64 = widen(&src32), widen(&dst32)
		}
		ids = make([]uint64, 0, 2*m)
		for b := range src64.b {
			ids = append(append(ids, src64.b[b]...), dst64.b[b]...)
		}
		slices.Sort(ids)
		ids = slices.Clip(slices.Compact(ids))
		if uint64(len(ids)) > math.MaxUint32 {
			return nil, fmt.Errorf("%d nodes: more than 2^32-1 are not supported", len(ids))
		}
		rank := make(map[uint64]uint32, len(ids))
		for i, id := range ids {
			rank[id] = uint32(i)
		}
		for b := range src64.b {
			for i := range src64.b[b] {
				src32.add(rank[src64.b[b][i]])
				dst32.add(rank[dst64.b[b][i]])
			}
			src64.b[b], dst64.b[b] = nil, nil
		}
	}
	return build(ids, &src32, &dst32, &prob)
}

func isSep(c byte) bool { return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n' }

// token returns the field starting at b[start], for error messages.
func token(b []byte, start int) string {
	end := start
	for end < len(b) && !isSep(b[end]) {
		end++
	}
	return string(b[start:end])
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// parseProb is the fast path for plain decimals like "0.25" or "1": with at
// most 15 digits the mantissa and the power of ten are exact doubles, so one
// division rounds correctly. Anything else (exponents, long fractions) is
// left to strconv by returning false.
func parseProb(b []byte, i *int) (float64, bool) {
	j := *i
	var mant uint64
	digits, frac := 0, 0
	for j < len(b) && b[j]-'0' < 10 {
		mant = mant*10 + uint64(b[j]-'0')
		digits++
		j++
	}
	if j < len(b) && b[j] == '.' {
		j++
		for j < len(b) && b[j]-'0' < 10 {
			mant = mant*10 + uint64(b[j]-'0')
			digits++
			frac++
			j++
		}
	}
	if digits == 0 || digits > 15 || (j < len(b) && !isSep(b[j]) && b[j] != '#' && b[j] != '%') {
		return 0, false
	}
	*i = j
	return float64(mant) / pow10[frac], true
}

// blocks is an append-only array in fixed-size blocks: unlike a growing
// slice it never copies and never holds a discarded half-size copy, which
// keeps the peak memory of reading 10M edges near the edges themselves.
type blocks[T any] struct {
	b [][]T
	n int
}

const blockLen = 1 << 18

func (s *blocks[T]) add(x T) {
	if s.n%blockLen == 0 {
		s.b = append(s.b, make([]T, 0, blockLen))
	}
	last := &s.b[len(s.b)-1]
	*last = append(*last, x)
	s.n++
}

// widen moves 32-bit ids to 64-bit blocks, emptying a.
func widen(a *blocks[uint32]) *blocks[uint64] {
	w := &blocks[uint64]{}
	for _, b := range a.b {
		for _, x := range b {
			w.add(uint64(x))
		}
	}
	*a = blocks[uint32]{}
	return w
}
