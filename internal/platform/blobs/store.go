// Package blobs stores large files — recordings of several gigabytes — on local disk or
// S3-compatible storage behind one interface (Store), and encrypts them on the way with
// a streaming authenticated encryption (Encrypt, Decrypt; the format is documented in
// stream.go) so that storage only ever holds ciphertext (Sealed).
//
// Keys name blobs the same way on every backend: lower-case ASCII letters, digits and
// "/_-.", slash-separated segments that are neither empty nor start with "." (so no
// "..", no hidden names, and no absolute paths). Callers build keys from server-made
// ids, never from user-supplied file names.
package blobs

import (
	"context"
	"fmt"
	"io"
	"strings"

	"inoculate/internal/platform/errs"
)

// Store keeps blobs by key. Put replaces any blob under key atomically: readers see the
// old blob or the whole new one, never a part, and a failed Put leaves no blob. Get and
// Stat fail with ErrNotFound for a missing key; Delete of a missing key succeeds.
type Store interface {
	Put(ctx context.Context, key string, r io.Reader) (size int64, err error)
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
	Stat(ctx context.Context, key string) (size int64, err error)
}

// ErrNotFound means no blob is stored under the key.
var ErrNotFound = &errs.Error{Kind: errs.NotFound, Msg: "file not found"}

// MaxKeyLen bounds keys; S3 allows 1024 bytes, file systems less per path.
const MaxKeyLen = 512

// CheckKey reports whether key is a valid blob key (see the package comment).
func CheckKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return errs.Ef(errs.Invalid, "blobs: key must be 1 to %d bytes", MaxKeyLen)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '/' || c == '_' || c == '-' || c == '.') {
			return errs.E(errs.Invalid, "blobs: key has a character outside [a-z0-9/_.-]")
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" {
			return errs.E(errs.Invalid, "blobs: key has an empty segment or a leading or trailing slash")
		}
		if seg[0] == '.' {
			// Covers "." and ".."; hidden names are reserved for files being written.
			return errs.E(errs.Invalid, "blobs: key segment starts with a dot")
		}
	}
	return nil
}

// ctxReader stops a long copy when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("blobs: %w", err)
	}
	return c.r.Read(p)
}
