package audit

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"
)

// naiveMTH is RFC 6962 §2.1 written out literally over the leaf data, independent of
// the code under test.
func naiveMTH(d [][]byte) []byte {
	n := len(d)
	if n == 0 {
		h := sha256.Sum256(nil)
		return h[:]
	}
	if n == 1 {
		h := sha256.Sum256(append([]byte{0}, d[0]...))
		return h[:]
	}
	k := 1
	for k*2 < n {
		k *= 2
	}
	h := sha256.Sum256(append(append([]byte{1}, naiveMTH(d[:k])...), naiveMTH(d[k:])...))
	return h[:]
}

func testLeaves(n int) (data, hashes [][]byte) {
	for i := range n {
		b := fmt.Appendf(nil, "leaf %d", i)
		data = append(data, b)
		hashes = append(hashes, LeafHash(b))
	}
	return data, hashes
}

// TestKnownRoots pins the hashes against independently published values, so that a
// bug shared by the code and naiveMTH cannot go unnoticed.
func TestKnownRoots(t *testing.T) {
	if got := fmt.Sprintf("%x", EmptyRoot()); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty root %s", got)
	}
	// RFC 6962 leaf hash of the empty leaf (certificate-transparency test vectors).
	if got := fmt.Sprintf("%x", LeafHash(nil)); got != "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" {
		t.Errorf("leaf hash of empty leaf %s", got)
	}
}

func TestRootMatchesNaive(t *testing.T) {
	data, hashes := testLeaves(300)
	var f Frontier
	for n := 0; n <= 300; n++ {
		want := naiveMTH(data[:n])
		if got := f.Root(); !bytes.Equal(got, want) {
			t.Fatalf("frontier root at size %d = %x, want %x", n, got, want)
		}
		if got := RootOf(hashes[:n]); !bytes.Equal(got, want) {
			t.Fatalf("RootOf at size %d = %x, want %x", n, got, want)
		}
		// The stored form round-trips at every size.
		g, err := NewFrontier(f.Size(), f.Bytes())
		if err != nil {
			t.Fatalf("NewFrontier(%d): %v", n, err)
		}
		if !bytes.Equal(g.Root(), want) {
			t.Fatalf("restored frontier root at size %d differs", n)
		}
		if n < 300 {
			f.Append(hashes[n])
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		n := 300 + r.IntN(3000)
		data, hashes := testLeaves(n)
		if got, want := RootOf(hashes), naiveMTH(data); !bytes.Equal(got, want) {
			t.Fatalf("size %d: root %x, want %x", n, got, want)
		}
	}
}

func TestNewFrontierRejectsBadLength(t *testing.T) {
	for _, c := range []struct {
		size int64
		n    int
	}{{0, 32}, {1, 0}, {3, 32}, {4, 64}, {-1, 0}, {7, 95}} {
		if _, err := NewFrontier(c.size, make([]byte, c.n)); err == nil {
			t.Errorf("NewFrontier(%d, %d bytes) accepted", c.size, c.n)
		}
	}
}

func flip(p [][]byte, r *rand.Rand) [][]byte {
	q := make([][]byte, len(p))
	for i := range p {
		q[i] = bytes.Clone(p[i])
	}
	i := r.IntN(len(q))
	q[i][r.IntN(len(q[i]))] ^= byte(1 + r.IntN(255))
	return q
}

func TestInclusionProofs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	_, all := testLeaves(600)
	for range 400 {
		n := 1 + r.IntN(len(all))
		m := int64(r.IntN(n))
		leaves := all[:n]
		root := RootOf(leaves)
		proof, err := InclusionProof(m, leaves)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyInclusion(m, int64(n), leaves[m], proof, root); err != nil {
			t.Fatalf("inclusion of %d in %d: %v", m, n, err)
		}
		// Tampering with the leaf, the proof, the index, the size or the root fails.
		if VerifyInclusion(m, int64(n), all[(int(m)+1)%len(all)], proof, root) == nil {
			t.Fatalf("inclusion of %d in %d: wrong leaf accepted", m, n)
		}
		if len(proof) > 0 && VerifyInclusion(m, int64(n), leaves[m], flip(proof, r), root) == nil {
			t.Fatalf("inclusion of %d in %d: flipped proof accepted", m, n)
		}
		if len(proof) > 0 && VerifyInclusion(m, int64(n), leaves[m], proof[:len(proof)-1], root) == nil {
			t.Fatalf("inclusion of %d in %d: short proof accepted", m, n)
		}
		if VerifyInclusion(m, int64(n), leaves[m], append(proof, root), root) == nil {
			t.Fatalf("inclusion of %d in %d: long proof accepted", m, n)
		}
		if n > 1 && VerifyInclusion((m+1)%int64(n), int64(n), leaves[m], proof, root) == nil {
			t.Fatalf("inclusion of %d in %d: wrong index accepted", m, n)
		}
		if VerifyInclusion(m, int64(n), leaves[m], proof, LeafHash(nil)) == nil {
			t.Fatalf("inclusion of %d in %d: wrong root accepted", m, n)
		}
	}
	if _, err := InclusionProof(3, all[:3]); err == nil {
		t.Error("InclusionProof outside the tree accepted")
	}
}

func TestConsistencyProofs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	_, all := testLeaves(600)
	cases := [][2]int{{1, 1}, {1, 2}, {2, 3}, {3, 7}, {4, 8}, {0, 5}, {0, 0}, {7, 8}, {8, 8}}
	for range 400 {
		n := 1 + r.IntN(len(all))
		cases = append(cases, [2]int{r.IntN(n + 1), n})
	}
	for _, c := range cases {
		m, n := c[0], c[1]
		oldRoot, newRoot := RootOf(all[:m]), RootOf(all[:n])
		proof, err := ConsistencyProof(int64(m), all[:n])
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyConsistency(int64(m), int64(n), oldRoot, newRoot, proof); err != nil {
			t.Fatalf("consistency %d→%d: %v", m, n, err)
		}
		if m == 0 || m == n {
			if len(proof) != 0 {
				t.Fatalf("consistency %d→%d: non-empty proof", m, n)
			}
			continue
		}
		// An unrelated old tree, a changed proof or a different new root fail.
		if VerifyConsistency(int64(m), int64(n), RootOf(all[1:m+1]), newRoot, proof) == nil {
			t.Fatalf("consistency %d→%d: wrong old root accepted", m, n)
		}
		if VerifyConsistency(int64(m), int64(n), oldRoot, RootOf(all[1:n+1]), proof) == nil {
			t.Fatalf("consistency %d→%d: wrong new root accepted", m, n)
		}
		if VerifyConsistency(int64(m), int64(n), oldRoot, newRoot, flip(proof, r)) == nil {
			t.Fatalf("consistency %d→%d: flipped proof accepted", m, n)
		}
		if VerifyConsistency(int64(m), int64(n), oldRoot, newRoot, proof[:len(proof)-1]) == nil {
			t.Fatalf("consistency %d→%d: short proof accepted", m, n)
		}
		if VerifyConsistency(int64(m), int64(n), oldRoot, newRoot, append(proof, newRoot)) == nil {
			t.Fatalf("consistency %d→%d: long proof accepted", m, n)
		}
		if m+1 < n && VerifyConsistency(int64(m+1), int64(n), oldRoot, newRoot, proof) == nil {
			t.Fatalf("consistency %d→%d: wrong old size accepted", m, n)
		}
	}
	if VerifyConsistency(3, 2, nil, nil, nil) == nil {
		t.Error("shrinking tree accepted")
	}
	if VerifyConsistency(0, 5, LeafHash(nil), RootOf(all[:5]), nil) == nil {
		t.Error("wrong empty root accepted")
	}
}

func BenchmarkFrontierAppend(b *testing.B) {
	h := LeafHash([]byte("leaf"))
	var f Frontier
	for b.Loop() {
		f.Append(h)
	}
	if f.Size() == 0 {
		b.Fatal("no appends")
	}
}

func BenchmarkFrontierAppendRoot(b *testing.B) {
	h := LeafHash([]byte("leaf"))
	var f Frontier
	for range 1 << 20 {
		f.Append(h)
	}
	for b.Loop() {
		f.Append(h)
		_ = f.Root()
	}
}
