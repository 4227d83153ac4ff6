package vault

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// formatV1 is the first byte of every field ciphertext and wrapped data key, so the
// format can change later without guessing.
const formatV1 byte = 1

const (
	keySize   = chacha20poly1305.KeySize    // 32: DEKs, KEKs and the root secret
	nonceSize = chacha20poly1305.NonceSizeX // 24: random nonces are safe at this size
	tagSize   = chacha20poly1305.Overhead
	// minSealed is the shortest valid output of seal: version, nonce, tag.
	minSealed = 1 + nonceSize + tagSize
)

// Labels separate the associated data of the three uses of AEAD, so bytes valid in one
// role can never verify in another.
const (
	labelField = "inoculate/field"
	labelDEK   = "inoculate/dek"
	labelKEK   = "inoculate/kek-wrap"
)

// encodeAD builds associated data as a label, a format version and length-prefixed
// parts. Length prefixes make the encoding injective: ("ab","c") ≠ ("a","bc").
func encodeAD(label string, version byte, parts ...[]byte) []byte {
	n := 4 + len(label) + 1
	for _, p := range parts {
		n += 4 + len(p)
	}
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint32(b, uint32(len(label)))
	b = append(b, label...)
	b = append(b, version)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// fieldAD is the associated data of a sealed field.
func fieldAD(ref FieldRef) []byte {
	return encodeAD(labelField, formatV1,
		[]byte(ref.TenantID), []byte(ref.Subject), []byte(ref.Table), []byte(ref.Column), []byte(ref.Row))
}

// dekAD is the associated data the vault passes to KeyEncrypter.Wrap for a subject's
// data key; the key encrypter adds the tenant and KEK version itself.
func dekAD(tenantID, subject string) []byte {
	return encodeAD(labelDEK, formatV1, []byte(tenantID), []byte(subject))
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("vault: new cipher: %w", err)
	}
	return a, nil
}

// seal returns version || nonce || AEAD(plaintext, ad) with a fresh random nonce.
func seal(a cipher.AEAD, plaintext, ad []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+tagSize)
	out[0] = formatV1
	// crypto/rand.Read never fails on supported platforms (Go ≥1.24 panics instead),
	// but the error is checked in case that ever changes: a zero nonce would be fatal.
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("vault: random nonce: %w", err)
	}
	return a.Seal(out, out[1:], plaintext, ad), nil
}

// unseal is the inverse of seal. Any failure is ErrTampered: the caller must not learn
// which check failed.
func unseal(a cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < minSealed || sealed[0] != formatV1 {
		return nil, ErrTampered
	}
	pt, err := a.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], ad)
	if err != nil {
		return nil, ErrTampered
	}
	return pt, nil
}

// randomKey returns a fresh 256-bit key.
func randomKey() ([]byte, error) {
	k := make([]byte, keySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("vault: random key: %w", err)
	}
	return k, nil
}
