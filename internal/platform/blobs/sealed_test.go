package blobs

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// keyRing is a KeySource holding one data key per subject, handing out copies as the
// contract requires; shredding a subject deletes its key.
type keyRing struct {
	mu   sync.Mutex
	keys map[string][]byte
}

var errShredded = errors.New("subject shredded")

func (k *keyRing) source(_ context.Context, subject string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string][]byte{}
	}
	key, ok := k.keys[subject]
	if !ok {
		if subject == "shredded" {
			return nil, errShredded
		}
		key = make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		k.keys[subject] = key
	}
	return bytes.Clone(key), nil
}

func TestSealedRoundTripLocalAndS3(t *testing.T) {
	local, dir := newLocal(t)
	backends := map[string]Store{"local": local, "s3": newS3(t)}
	canary := []byte("CANARY-face-of-a-deserter-0451")
	for name, st := range backends {
		t.Run(name, func(t *testing.T) {
			ring := &keyRing{}
			s := NewSealed(st, ring.source)
			ctx := t.Context()
			// Two S3 parts and a bit: the multipart path.
			plain := bytes.Repeat(canary, (40<<20)/len(canary))
			n, err := s.PutSealed(ctx, "t1/testimony-9/original", "returnee-3", []byte("original"), bytes.NewReader(plain))
			if err != nil || n != int64(len(plain)) {
				t.Fatalf("PutSealed = %d, %v", n, err)
			}
			stored, err := st.Stat(ctx, "t1/testimony-9/original")
			if err != nil {
				t.Fatal(err)
			}
			if p, err := PlaintextSize(stored); err != nil || p != int64(len(plain)) {
				t.Fatalf("PlaintextSize(%d) = %d, %v", stored, p, err)
			}
			raw := mustGet(t, st, "t1/testimony-9/original")
			if bytes.Contains(raw, canary) {
				t.Fatal("the store received plaintext")
			}
			rc, err := s.GetSealed(ctx, "t1/testimony-9/original", "returnee-3", []byte("original"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || sha256.Sum256(got) != sha256.Sum256(plain) {
				t.Fatalf("GetSealed returned %d bytes, %v", len(got), err)
			}
		})
	}
	// Nothing on disk holds the canary either.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, canary) {
				t.Errorf("plaintext canary found in %s", p)
			}
		}
		return nil
	})
}

func TestSealedBindsKeySubjectAndPurpose(t *testing.T) {
	st, _ := newLocal(t)
	ring := &keyRing{}
	s := NewSealed(st, ring.source)
	ctx := t.Context()
	plain := []byte("a recorded voice")
	if _, err := s.PutSealed(ctx, "t1/a/original", "returnee-1", []byte("original"), bytes.NewReader(plain)); err != nil {
		t.Fatal(err)
	}
	// The same ciphertext copied under another key.
	mustPut(t, st, "t1/b/original", mustGet(t, st, "t1/a/original"))

	cases := []struct {
		name, key, subject, ad string
		want                   error
	}{
		{"moved to another key", "t1/b/original", "returnee-1", "original", ErrTampered},
		{"opened as another subject", "t1/a/original", "returnee-2", "original", ErrTampered},
		{"opened for another purpose", "t1/a/original", "returnee-1", "rendition", ErrTampered},
		{"subject shredded", "t1/a/original", "shredded", "original", errShredded},
		{"missing blob", "t1/c/original", "returnee-1", "original", ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := s.GetSealed(ctx, tc.key, tc.subject, []byte(tc.ad))
			var got []byte
			if err == nil {
				got, err = io.ReadAll(rc)
				rc.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if len(got) != 0 {
				t.Fatalf("%d bytes of plaintext released", len(got))
			}
		})
	}
	rc, err := s.GetSealed(ctx, "t1/a/original", "returnee-1", []byte("original"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("the original no longer opens: %q, %v", got, err)
	}
}

func TestSealedFailedSourceStoresNothing(t *testing.T) {
	st, _ := newLocal(t)
	ring := &keyRing{}
	s := NewSealed(st, ring.source)
	_, err := s.PutSealed(t.Context(), "t1/cut", "returnee-1", nil, &failingReader{data: make([]byte, 1<<20)})
	if !errors.Is(err, errDropped) {
		t.Fatalf("PutSealed = %v; want the source's error", err)
	}
	if _, err := st.Stat(t.Context(), "t1/cut"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a blob was stored from a failed source: %v", err)
	}
	if _, err := s.PutSealed(t.Context(), "t1/x", "shredded", nil, bytes.NewReader([]byte("x"))); !errors.Is(err, errShredded) {
		t.Fatalf("PutSealed for a shredded subject = %v", err)
	}
}

func TestSealedWipesDataKey(t *testing.T) {
	st, _ := newLocal(t)
	var handedOut [][]byte
	src := func(context.Context, string) ([]byte, error) {
		k := bytes.Repeat([]byte{7}, KeySize)
		handedOut = append(handedOut, k)
		return k, nil
	}
	s := NewSealed(st, src)
	if _, err := s.PutSealed(t.Context(), "k", "s", nil, bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	rc, err := s.GetSealed(t.Context(), "k", "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(rc)
	rc.Close()
	for i, k := range handedOut {
		if !bytes.Equal(k, make([]byte, KeySize)) {
			t.Errorf("data key %d left in memory after use", i)
		}
	}
}
