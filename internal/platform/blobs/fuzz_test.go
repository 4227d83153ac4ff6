package blobs

import (
	"bytes"
	"io"
	mathrand "math/rand/v2"
	"testing"
)

// FuzzDecrypt feeds arbitrary bytes to Decrypt under a fixed key. Whatever the input,
// it must not panic, must release only whole verified segments before an error, and
// may finish without error only for a ciphertext Encrypt made (the seeds): anything
// else completing would be a forgery.
func FuzzDecrypt(f *testing.F) {
	key := bytes.Repeat([]byte{0x5a}, KeySize)
	ad := []byte("fuzz")
	// Reproducible salts, so seeds (and corpus entries mutated from them) are the
	// same ciphertexts on every run.
	rng := mathrand.NewChaCha8([32]byte{9})
	readRandom = func(b []byte) (int, error) { return rng.Read(b) }
	type seed struct{ ct, plain []byte }
	var seeds []seed
	for _, size := range []int{0, 1, 100, SegmentSize, SegmentSize + 1} {
		plain := bytes.Repeat([]byte{byte(size)}, size)
		ct := encrypt(f, key, ad, plain, 1<<20)
		seeds = append(seeds, seed{ct, plain})
		f.Add(ct)
	}
	readRandom = defaultReadRandom
	f.Add([]byte{})
	f.Add([]byte("INOB\x01"))
	f.Add(append([]byte("INOB\x01"), make([]byte, saltSize+tagSize)...))
	f.Add(append([]byte("INOB\x02"), make([]byte, 100)...))

	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := Decrypt(bytes.NewReader(in), key, ad)
		if err != nil {
			return
		}
		got, err := readUntilError(r)
		if err == io.EOF {
			for _, s := range seeds {
				if bytes.Equal(in, s.ct) {
					if !bytes.Equal(got, s.plain) {
						t.Fatal("a seed decrypted to other plaintext")
					}
					return
				}
			}
			t.Fatalf("input that Encrypt never made decrypted without error (%d bytes)", len(in))
		}
		if len(got) == 0 {
			return
		}
		if len(got)%SegmentSize != 0 {
			t.Fatalf("%d bytes released before an error: not whole segments", len(got))
		}
		// The released segments must be those of a real ciphertext sharing this prefix.
		k := len(got) / SegmentSize
		prefix := headerSize + k*encSegSize
		for _, s := range seeds {
			if len(s.ct) >= prefix && bytes.Equal(in[:prefix], s.ct[:prefix]) && bytes.Equal(got, s.plain[:len(got)]) {
				return
			}
		}
		t.Fatalf("%d segments released that no seed authenticates", k)
	})
}
