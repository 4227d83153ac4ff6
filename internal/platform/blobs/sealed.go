package blobs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// KeySource returns the data key (KeySize bytes) of subject — the person a recording is
// about — so that shredding the subject's key makes every blob of theirs unreadable.
// It must return a fresh slice each call: Sealed wipes the key after use. It decides
// who may decrypt, so it should refuse (and audit) callers without a grant.
type KeySource func(ctx context.Context, subject string) ([]byte, error)

// Sealed stores blobs encrypted with the streaming format under their subject's data
// key; the store underneath only ever receives ciphertext. The associated data of every
// segment binds the blob key, the subject and the caller's ad, so a blob copied to
// another key or subject, or opened for another purpose, fails with ErrTampered.
type Sealed struct {
	store Store
	keys  KeySource
}

// NewSealed returns a sealed view of store with data keys from keys.
func NewSealed(store Store, keys KeySource) *Sealed {
	if store == nil || keys == nil {
		panic("blobs: NewSealed needs a Store and a KeySource")
	}
	return &Sealed{store: store, keys: keys}
}

// Store returns the underlying store, for Delete and Stat (which need no key).
func (s *Sealed) Store() Store { return s.store }

// sealedAD frames the parts unambiguously: each is length-prefixed.
func sealedAD(key, subject string, ad []byte) []byte {
	const label = "inoculate/blobs/sealed/v1"
	b := make([]byte, 0, len(label)+12+len(key)+len(subject)+len(ad))
	b = append(b, label...)
	for _, part := range [][]byte{[]byte(key), []byte(subject), ad} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(part)))
		b = append(b, part...)
	}
	return b
}

// PutSealed encrypts r under subject's data key and stores it under key, returning the
// number of plaintext bytes. Plaintext is streamed through in segments; it never
// reaches the store, and a failure of r leaves no blob.
func (s *Sealed) PutSealed(ctx context.Context, key, subject string, ad []byte, r io.Reader) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	dk, err := s.keys(ctx, subject)
	if err != nil {
		return 0, fmt.Errorf("blobs: data key for %s: %w", key, err)
	}
	pr, pw := io.Pipe()
	var (
		wg      sync.WaitGroup
		plainN  int64
		sealErr error
	)
	wg.Go(func() {
		defer clear(dk)
		enc, err := Encrypt(pw, dk, sealedAD(key, subject, ad))
		if err != nil {
			sealErr = err
			pw.CloseWithError(err)
			return
		}
		plainN, err = io.Copy(enc, r)
		if err == nil {
			err = enc.Close()
		}
		sealErr = err
		// A nil error ends the pipe with io.EOF; any other makes Put fail.
		pw.CloseWithError(err)
	})
	_, putErr := s.store.Put(ctx, key, pr)
	pr.CloseWithError(errStoreStopped)
	wg.Wait()
	if sealErr != nil {
		return 0, fmt.Errorf("blobs: seal %s: %w", key, sealErr)
	}
	if putErr != nil {
		return 0, putErr
	}
	return plainN, nil
}

// GetSealed opens the blob under key and returns a reader of its verified plaintext
// (see Decrypt for what it guarantees). Closing it closes the stored blob.
func (s *Sealed) GetSealed(ctx context.Context, key, subject string, ad []byte) (io.ReadCloser, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	dk, err := s.keys(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("blobs: data key for %s: %w", key, err)
	}
	defer clear(dk)
	rc, err := s.store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	plain, err := Decrypt(rc, dk, sealedAD(key, subject, ad))
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("blobs: open %s: %w", key, err)
	}
	return readCloser{plain, rc}, nil
}

var errStoreStopped = errors.New("blobs: store stopped reading")

type readCloser struct {
	io.Reader
	io.Closer
}
