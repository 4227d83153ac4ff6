package audit

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/bits"
)

// HashSize is the size of every tree hash (SHA-256).
const HashSize = sha256.Size

// Domain-separation prefixes of RFC 6962 §2.1: a leaf can never be passed off as an
// interior node (second-preimage attack), because the two are hashed differently.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

type hash = [HashSize]byte

// LeafHash returns the RFC 6962 hash of a leaf: SHA-256(0x00 || data).
func LeafHash(data []byte) []byte {
	h := leafHash(data)
	return h[:]
}

func leafHash(data []byte) hash {
	d := sha256.New()
	d.Write([]byte{leafPrefix})
	d.Write(data)
	var h hash
	d.Sum(h[:0])
	return h
}

// NodeHash returns the RFC 6962 hash of an interior node: SHA-256(0x01 || left || right).
func NodeHash(left, right []byte) []byte {
	h := nodeHash(toHash(left), toHash(right))
	return h[:]
}

func nodeHash(l, r hash) hash {
	// A fixed-size buffer keeps appends free of allocations.
	var buf [1 + 2*HashSize]byte
	buf[0] = nodePrefix
	copy(buf[1:], l[:])
	copy(buf[1+HashSize:], r[:])
	return sha256.Sum256(buf[:])
}

// toHash copies b into a hash; shorter or longer inputs are padded or truncated, which
// only happens on caller error and then simply yields a hash that does not verify.
func toHash(b []byte) hash {
	var h hash
	copy(h[:], b)
	return h
}

// EmptyRoot is the root of the tree with no leaves: SHA-256 of the empty string.
func EmptyRoot() []byte {
	h := sha256.Sum256(nil)
	return h[:]
}

// Frontier is a compact range over the leaves [0, size): the roots of the perfect
// subtrees the tree decomposes into, left to right, one per set bit of size. It is all
// that is needed to append a leaf and to compute the root in O(log n) time and space,
// which is why the log stores it instead of re-reading every leaf. The zero value is
// the empty tree.
type Frontier struct {
	size   int64
	hashes []hash
}

// NewFrontier rebuilds a frontier from its stored form (see Bytes): size leaves and
// the concatenated subtree roots.
func NewFrontier(size int64, stored []byte) (*Frontier, error) {
	if size < 0 {
		return nil, fmt.Errorf("frontier: negative size %d", size)
	}
	want := bits.OnesCount64(uint64(size))
	if len(stored) != want*HashSize {
		return nil, fmt.Errorf("frontier: a tree of %d leaves needs %d hashes (%d bytes), got %d bytes",
			size, want, want*HashSize, len(stored))
	}
	f := &Frontier{size: size, hashes: make([]hash, want, want+1)}
	for i := range f.hashes {
		copy(f.hashes[i][:], stored[i*HashSize:])
	}
	return f, nil
}

// Size is the number of leaves appended so far.
func (f *Frontier) Size() int64 { return f.size }

// Bytes is the stored form: the subtree roots concatenated, left to right.
func (f *Frontier) Bytes() []byte {
	b := make([]byte, 0, len(f.hashes)*HashSize)
	for _, h := range f.hashes {
		b = append(b, h[:]...)
	}
	return b
}

// Append adds the leaf with the given leaf hash (see LeafHash) at index Size().
func (f *Frontier) Append(leafHash []byte) { f.append(toHash(leafHash)) }

func (f *Frontier) append(h hash) {
	f.hashes = append(f.hashes, h)
	// Each trailing one bit of the old size is a perfect subtree of the same height as
	// the one just completed on its right: merge them, like a binary carry.
	for s := f.size; s&1 == 1; s >>= 1 {
		n := len(f.hashes)
		f.hashes[n-2] = nodeHash(f.hashes[n-2], f.hashes[n-1])
		f.hashes = f.hashes[:n-1]
	}
	f.size++
}

// Root is the RFC 6962 Merkle tree hash of the leaves appended so far.
func (f *Frontier) Root() []byte {
	r := f.root()
	return r[:]
}

func (f *Frontier) root() hash {
	if len(f.hashes) == 0 {
		return sha256.Sum256(nil)
	}
	// RFC 6962 splits at the largest power of two below n, so the right edge of the
	// tree is folded first: MTH = H(s0, H(s1, H(s2, …))).
	r := f.hashes[len(f.hashes)-1]
	for i := len(f.hashes) - 2; i >= 0; i-- {
		r = nodeHash(f.hashes[i], r)
	}
	return r
}

// RootOf returns the Merkle tree hash of the given leaf hashes.
func RootOf(leafHashes [][]byte) []byte {
	var f Frontier
	for _, h := range leafHashes {
		f.Append(h)
	}
	return f.Root()
}

// mth is the recursive MTH of RFC 6962 §2.1 over leaf hashes, for proof generation.
func mth(leaves [][]byte) hash {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return toHash(leaves[0])
	}
	k := splitPoint(int64(len(leaves)))
	return nodeHash(mth(leaves[:k]), mth(leaves[k:]))
}

// splitPoint is the largest power of two strictly smaller than n (n > 1).
func splitPoint(n int64) int64 {
	return int64(1) << (bits.Len64(uint64(n-1)) - 1)
}

// ErrProof reports a proof that does not verify.
var ErrProof = errors.New("merkle proof does not verify")

// InclusionProof returns the audit path for the leaf at index in the tree of the given
// leaf hashes (RFC 9162 §2.1.3.1).
func InclusionProof(index int64, leafHashes [][]byte) ([][]byte, error) {
	n := int64(len(leafHashes))
	if index < 0 || index >= n {
		return nil, fmt.Errorf("inclusion proof: index %d outside a tree of %d leaves", index, n)
	}
	var path [][]byte
	var rec func(m int64, d [][]byte)
	rec = func(m int64, d [][]byte) {
		if len(d) <= 1 {
			return
		}
		k := splitPoint(int64(len(d)))
		var sib hash
		if m < k {
			rec(m, d[:k])
			sib = mth(d[k:])
		} else {
			rec(m-k, d[k:])
			sib = mth(d[:k])
		}
		path = append(path, sib[:])
	}
	rec(index, leafHashes)
	return path, nil
}

// VerifyInclusion checks that leafHash is the leaf at index in the tree of the given
// size and root (RFC 9162 §2.1.3.2).
func VerifyInclusion(index, size int64, leafHash []byte, proof [][]byte, root []byte) error {
	if index < 0 || index >= size {
		return fmt.Errorf("%w: index %d outside a tree of %d leaves", ErrProof, index, size)
	}
	fn, sn := uint64(index), uint64(size-1)
	r := toHash(leafHash)
	for _, p := range proof {
		if sn == 0 {
			return fmt.Errorf("%w: inclusion proof too long", ErrProof)
		}
		ph := toHash(p)
		if fn&1 == 1 || fn == sn {
			r = nodeHash(ph, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, ph)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: inclusion proof too short", ErrProof)
	}
	if !equalHash(r[:], root) {
		return fmt.Errorf("%w: inclusion proof leads to a different root", ErrProof)
	}
	return nil
}

// ConsistencyProof returns the proof that the tree of the first m leaf hashes is a
// prefix of the tree of all of them (RFC 9162 §2.1.4.1). It is empty when m is 0 or
// equals the number of leaves.
func ConsistencyProof(m int64, leafHashes [][]byte) ([][]byte, error) {
	n := int64(len(leafHashes))
	if m < 0 || m > n {
		return nil, fmt.Errorf("consistency proof: size %d outside a tree of %d leaves", m, n)
	}
	if m == 0 || m == n {
		return nil, nil
	}
	var path [][]byte
	var sub func(m int64, d [][]byte, b bool)
	sub = func(m int64, d [][]byte, b bool) {
		n := int64(len(d))
		if m == n {
			if !b {
				h := mth(d)
				path = append(path, h[:])
			}
			return
		}
		k := splitPoint(n)
		var sib hash
		if m <= k {
			sub(m, d[:k], b)
			sib = mth(d[k:])
		} else {
			sub(m-k, d[k:], false)
			sib = mth(d[:k])
		}
		path = append(path, sib[:])
	}
	sub(m, leafHashes, true)
	return path, nil
}

// VerifyConsistency checks that the tree of size m with oldRoot is a prefix of the tree
// of size n with newRoot (RFC 9162 §2.1.4.2).
func VerifyConsistency(m, n int64, oldRoot, newRoot []byte, proof [][]byte) error {
	switch {
	case m < 0 || m > n:
		return fmt.Errorf("%w: sizes %d and %d are not in order", ErrProof, m, n)
	case m == n:
		if len(proof) != 0 {
			return fmt.Errorf("%w: equal sizes need an empty proof", ErrProof)
		}
		if !equalHash(oldRoot, newRoot) {
			return fmt.Errorf("%w: equal sizes with different roots", ErrProof)
		}
		return nil
	case m == 0:
		// Every tree extends the empty one; the empty tree's root is fixed.
		if len(proof) != 0 {
			return fmt.Errorf("%w: a proof from the empty tree must be empty", ErrProof)
		}
		if !equalHash(oldRoot, EmptyRoot()) {
			return fmt.Errorf("%w: wrong root for the empty tree", ErrProof)
		}
		return nil
	}
	if len(proof) == 0 {
		return fmt.Errorf("%w: empty consistency proof", ErrProof)
	}
	path := proof
	if m&(m-1) == 0 { // m is a power of two: the old root is itself a node of the new tree
		path = append([][]byte{oldRoot}, proof...)
	}
	fn, sn := uint64(m-1), uint64(n-1)
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := toHash(path[0]), toHash(path[0])
	for _, c := range path[1:] {
		if sn == 0 {
			return fmt.Errorf("%w: consistency proof too long", ErrProof)
		}
		ch := toHash(c)
		if fn&1 == 1 || fn == sn {
			fr = nodeHash(ch, fr)
			sr = nodeHash(ch, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = nodeHash(sr, ch)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: consistency proof too short", ErrProof)
	}
	if !equalHash(fr[:], oldRoot) || !equalHash(sr[:], newRoot) {
		return fmt.Errorf("%w: consistency proof leads to different roots", ErrProof)
	}
	return nil
}

func equalHash(a, b []byte) bool {
	return len(a) == HashSize && len(b) == HashSize && subtle.ConstantTimeCompare(a, b) == 1
}
