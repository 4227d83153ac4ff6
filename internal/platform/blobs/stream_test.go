package blobs

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"runtime"
	"testing"
)

func testKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// encrypt seals plain, writing it in pieces of the given size to exercise buffering.
func encrypt(t testing.TB, key, ad, plain []byte, piece int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := Encrypt(&out, key, ad)
	if err != nil {
		t.Fatal(err)
	}
	for p := plain; len(p) > 0; {
		n := min(piece, len(p))
		if m, err := w.Write(p[:n]); err != nil || m != n {
			t.Fatalf("Write = %d, %v", m, err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// readUntilError returns everything a reader yields before its first error.
func readUntilError(r io.Reader) ([]byte, error) {
	var got []byte
	buf := make([]byte, 10_000) // not a divisor of SegmentSize: partial reads of segments
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, err
		}
	}
}

func TestRoundTrip(t *testing.T) {
	key := testKey(t)
	ad := []byte("tenant-1/testimony-7/original")
	sizes := []int{0, 1, SegmentSize - 1, SegmentSize, SegmentSize + 1, 2 * SegmentSize, 3*SegmentSize + 7}
	for _, size := range sizes {
		for _, piece := range []int{1 << 30, 4096, 65537, 1} {
			if piece == 1 && size > SegmentSize+1 {
				continue // byte-by-byte writes of large inputs prove nothing more
			}
			t.Run(fmt.Sprintf("size=%d/piece=%d", size, piece), func(t *testing.T) {
				plain := randomBytes(t, size)
				ct := encrypt(t, key, ad, plain, piece)
				segs := max(1, (size+SegmentSize-1)/SegmentSize)
				if want := headerSize + size + segs*tagSize; len(ct) != want {
					t.Fatalf("ciphertext is %d bytes, want %d", len(ct), want)
				}
				if n, err := PlaintextSize(int64(len(ct))); err != nil || n != int64(size) {
					t.Fatalf("PlaintextSize = %d, %v; want %d", n, err, size)
				}
				r, err := Decrypt(bytes.NewReader(ct), key, ad)
				if err != nil {
					t.Fatal(err)
				}
				got, err := readUntilError(r)
				if err != io.EOF {
					t.Fatalf("read error %v, want io.EOF", err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("round trip changed the data (%d bytes in, %d out)", len(plain), len(got))
				}
				if bytes.Contains(ct, plain[:min(len(plain), 64)]) && size >= 16 {
					t.Fatal("ciphertext contains plaintext")
				}
			})
		}
	}
}

func TestEncryptSameInputDiffers(t *testing.T) {
	key := testKey(t)
	plain := []byte("the same recording twice")
	a := encrypt(t, key, nil, plain, 100)
	b := encrypt(t, key, nil, plain, 100)
	if bytes.Equal(a, b) {
		t.Fatal("two encryptions of the same plaintext are identical: salt not random")
	}
}

func TestKeyLength(t *testing.T) {
	if _, err := Encrypt(io.Discard, make([]byte, 16), nil); err == nil {
		t.Fatal("Encrypt accepted a 16-byte key")
	}
	ct := encrypt(t, testKey(t), nil, []byte("x"), 1)
	if _, err := Decrypt(bytes.NewReader(ct), make([]byte, 31), nil); err == nil {
		t.Fatal("Decrypt accepted a 31-byte key")
	}
}

func TestWriteAfterClose(t *testing.T) {
	w, err := Encrypt(io.Discard, testKey(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("late")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// tamperCase is a ciphertext damaged in one way, and how many whole segments of
// plaintext may still come out before the error (the verified ones before the damage).
type tamperCase struct {
	name     string
	ct       []byte
	key, ad  []byte
	maxSegs  int
	wantFail error // ErrTampered or ErrFormat
}

func TestTamperingRefused(t *testing.T) {
	key := testKey(t)
	ad := []byte("ad-of-this-file")
	const size = 3*SegmentSize + 1000 // four segments, the last partial
	plain := randomBytes(t, size)
	ct := encrypt(t, key, ad, plain, 1<<20)
	other := encrypt(t, key, ad, randomBytes(t, size), 1<<20)
	seg := func(b []byte, i int) []byte { // ciphertext segment i of b
		start := headerSize + i*encSegSize
		return b[start:min(start+encSegSize, len(b))]
	}
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(ct)) }
	flip := func(pos int) []byte { return with(func(b []byte) []byte { b[pos] ^= 0x01; return b }) }

	cases := []tamperCase{
		{name: "magic flipped", ct: flip(0), maxSegs: 0, wantFail: ErrFormat},
		{name: "version flipped", ct: flip(4), maxSegs: 0, wantFail: ErrFormat},
		{name: "salt flipped", ct: flip(10), maxSegs: 0, wantFail: ErrTampered},
		{name: "first segment byte flipped", ct: flip(headerSize + 5), maxSegs: 0, wantFail: ErrTampered},
		{name: "second segment tag flipped", ct: flip(headerSize + 2*encSegSize - 1), maxSegs: 1, wantFail: ErrTampered},
		{name: "last segment byte flipped", ct: flip(len(ct) - 100), maxSegs: 3, wantFail: ErrTampered},
		{name: "last byte flipped", ct: flip(len(ct) - 1), maxSegs: 3, wantFail: ErrTampered},
		{name: "one byte appended", ct: append(bytes.Clone(ct), 0), maxSegs: 3, wantFail: ErrTampered},
		{name: "a tag's worth appended", ct: append(bytes.Clone(ct), make([]byte, tagSize)...), maxSegs: 3, wantFail: ErrTampered},
		{name: "a segment appended", ct: append(bytes.Clone(ct), seg(ct, 1)...), maxSegs: 3, wantFail: ErrTampered},
		{name: "segments 0 and 1 swapped", ct: with(func(b []byte) []byte {
			s0, s1 := bytes.Clone(seg(ct, 0)), bytes.Clone(seg(ct, 1))
			copy(b[headerSize:], s1)
			copy(b[headerSize+encSegSize:], s0)
			return b
		}), maxSegs: 0, wantFail: ErrTampered},
		{name: "segment 1 duplicated over 2", ct: with(func(b []byte) []byte {
			copy(b[headerSize+2*encSegSize:], seg(ct, 1))
			return b
		}), maxSegs: 2, wantFail: ErrTampered},
		{name: "segment 2 from another file", ct: with(func(b []byte) []byte {
			copy(b[headerSize+2*encSegSize:], seg(other, 2))
			return b
		}), maxSegs: 2, wantFail: ErrTampered},
		{name: "header from another file", ct: with(func(b []byte) []byte {
			copy(b, other[:headerSize])
			return b
		}), maxSegs: 0, wantFail: ErrTampered},
		{name: "segment 1 dropped", ct: append(bytes.Clone(ct[:headerSize+encSegSize]), ct[headerSize+2*encSegSize:]...), maxSegs: 1, wantFail: ErrTampered},
		{name: "wrong associated data", ct: ct, ad: []byte("ad-of-another-file"), maxSegs: 0, wantFail: ErrTampered},
		{name: "no associated data", ct: ct, ad: []byte{}, maxSegs: 0, wantFail: ErrTampered},
		{name: "wrong key", ct: ct, key: testKey(t), maxSegs: 0, wantFail: ErrTampered},
	}
	// Truncation at every segment boundary, inside the header, and inside segments.
	for i := 0; i <= 4; i++ {
		cut := headerSize + i*encSegSize
		if cut < len(ct) {
			cases = append(cases, tamperCase{name: fmt.Sprintf("cut after %d segments", i), ct: ct[:cut], maxSegs: max(0, i-1), wantFail: ErrTampered})
		}
		if cut+100 < len(ct) {
			cases = append(cases, tamperCase{name: fmt.Sprintf("cut inside segment %d", i), ct: ct[:cut+100], maxSegs: i, wantFail: ErrTampered})
		}
		if cut+tagSize < len(ct) {
			cases = append(cases, tamperCase{name: fmt.Sprintf("cut to a tag inside segment %d", i), ct: ct[:cut+tagSize], maxSegs: i, wantFail: ErrTampered})
		}
	}
	cases = append(cases,
		tamperCase{name: "cut inside header", ct: ct[:headerSize-1], wantFail: ErrFormat},
		tamperCase{name: "empty", ct: nil, wantFail: ErrFormat},
		tamperCase{name: "cut one byte short", ct: ct[:len(ct)-1], maxSegs: 3, wantFail: ErrTampered},
	)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, a := key, ad
			if tc.key != nil {
				k = tc.key
			}
			if tc.ad != nil {
				a = tc.ad
			}
			r, err := Decrypt(bytes.NewReader(tc.ct), k, a)
			var got []byte
			if err == nil {
				got, err = readUntilError(r)
			}
			if !errors.Is(err, tc.wantFail) {
				t.Fatalf("error %v, want %v", err, tc.wantFail)
			}
			checkVerifiedPrefix(t, got, plain, tc.maxSegs)
			// The reader stays failed.
			if r != nil {
				if n, err2 := r.Read(make([]byte, 10)); n != 0 || err2 == nil || err2 == io.EOF {
					t.Fatalf("read after failure = %d, %v", n, err2)
				}
			}
		})
	}
}

// checkVerifiedPrefix asserts got is the plaintext of at most maxSegs whole segments.
func checkVerifiedPrefix(t *testing.T, got, plain []byte, maxSegs int) {
	t.Helper()
	if len(got)%SegmentSize != 0 {
		t.Fatalf("%d bytes released: not whole segments, so unverified plaintext leaked", len(got))
	}
	if len(got) > maxSegs*SegmentSize {
		t.Fatalf("%d segments released, at most %d were verified before the damage", len(got)/SegmentSize, maxSegs)
	}
	if !bytes.Equal(got, plain[:len(got)]) {
		t.Fatal("released plaintext differs from the original")
	}
}

func TestPlaintextSizeRefusesImpossibleLengths(t *testing.T) {
	for _, n := range []int{0, headerSize, headerSize + tagSize - 1, headerSize + encSegSize + tagSize, headerSize + encSegSize + 3} {
		if _, err := PlaintextSize(int64(n)); err == nil {
			t.Errorf("PlaintextSize(%d) accepted an impossible length", n)
		}
	}
}

// patternReader yields n pseudo-random bytes without holding them.
type patternReader struct {
	rng *mathrand.ChaCha8
	n   int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n == 0 {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n)]
	p.rng.Read(b)
	p.n -= int64(len(b))
	return len(b), nil
}

// TestLargeStreamConstantMemory pushes 200 MB through Encrypt and Decrypt joined by a
// pipe and checks that the bytes allocated meanwhile do not grow with the input.
func TestLargeStreamConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MB stream")
	}
	const size = 200 << 20
	key := testKey(t)
	ad := []byte("big")
	seed := [32]byte{1}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	pr, pw := io.Pipe()
	inHash := sha256.New()
	go func() {
		w, err := Encrypt(pw, key, ad)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		src := io.TeeReader(&patternReader{rng: mathrand.NewChaCha8(seed), n: size}, inHash)
		if _, err := io.CopyBuffer(w, src, make([]byte, 32<<10)); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(w.Close())
	}()
	r, err := Decrypt(pr, key, ad)
	if err != nil {
		t.Fatal(err)
	}
	outHash := sha256.New()
	n, err := io.CopyBuffer(outHash, r, make([]byte, 32<<10))
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n != size || !bytes.Equal(inHash.Sum(nil), outHash.Sum(nil)) {
		t.Fatalf("200 MB round trip differs: %d bytes out", n)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("200 MB through encrypt+decrypt allocated %d KiB in total", allocated>>10)
	// One segment buffer each side plus small change; anything proportional to the
	// input (3,200 segments) would be far above this.
	if allocated > 2<<20 {
		t.Fatalf("allocated %d bytes for a 200 MB stream: memory is not constant", allocated)
	}
}

func BenchmarkEncrypt(b *testing.B) {
	key := testKey(b)
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	w, err := Encrypt(io.Discard, key, []byte("ad"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := w.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
}

func BenchmarkDecrypt(b *testing.B) {
	key := testKey(b)
	plain := make([]byte, 64<<20)
	ct := encrypt(b, key, []byte("ad"), plain, 1<<20)
	b.SetBytes(int64(len(plain)))
	out := make([]byte, 1<<20)
	for b.Loop() {
		r, err := Decrypt(bytes.NewReader(ct), key, []byte("ad"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, r, out); err != nil {
			b.Fatal(err)
		}
	}
}
