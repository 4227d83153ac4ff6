package blobs

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"

	"inoculate/internal/platform/errs"
)

// The streaming format (version 1). A file is a header followed by segments:
//
//	header   = magic "INOB" (4 bytes) | version 0x01 (1 byte) | salt (32 random bytes)
//	segment  = ChaCha20-Poly1305 ciphertext of up to SegmentSize plaintext bytes | tag (16 bytes)
//
// Every segment but the last carries exactly SegmentSize (64 KiB) plaintext bytes. The
// last carries 1..SegmentSize bytes, or 0 bytes only when the whole plaintext is empty,
// so the encoding of a plaintext is canonical and a file is never without segments.
//
// Keys and nonces. The caller's 256-bit key is never used directly: each file gets its
// own key, HKDF-SHA256(ikm = key, salt = salt, info = "inoculate/blobs/stream/v1" |
// header[0:5]). A fresh random salt per file means one data key can encrypt any number
// of files (a subject's many recordings) without nonce bookkeeping, and a segment moved
// from another file fails to open under this file's key. Under the file key, segment i
// uses the 12-byte nonce
//
//	nonce = big-endian i (11 bytes) | last flag (0x01 on the last segment, else 0x00)
//
// so reordered or dropped segments fail (wrong index), and a file cut at a segment
// boundary fails (its new final segment was sealed without the last flag). Bytes after
// the last segment are refused. The caller's associated data is the AEAD associated
// data of every segment: a file decrypted with other associated data (another blob key,
// subject or purpose) fails at its first segment.
//
// This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) as used by
// age and Tink's streaming AEAD. ChaCha20-Poly1305 rather than XChaCha20: with a key per
// file, the 96-bit nonce holds just the counter and flag and the random part moves to
// the HKDF salt, where 256 bits are cheap.
//
// Decryption releases a segment's plaintext only after its tag verified, holds one
// segment in memory whatever the file size, and stops for good at the first failure.

// SegmentSize is the plaintext size of every segment but the last.
const SegmentSize = 64 << 10

const (
	formatVersion = 1
	saltSize      = 32
	headerSize    = len(magic) + 1 + saltSize
	tagSize       = chacha20poly1305.Overhead
	encSegSize    = SegmentSize + tagSize
	// KeySize is the length of the keys Encrypt and Decrypt take.
	KeySize = chacha20poly1305.KeySize
)

const magic = "INOB"

// readRandom makes salts; tests replace it to build reproducible fuzz seeds.
var readRandom = defaultReadRandom

var defaultReadRandom = rand.Read

var (
	// ErrTampered means ciphertext failed authentication: altered, truncated, extended,
	// reordered, taken from another file, or opened with the wrong key or associated
	// data. Treat it as an integrity alarm. Its errs kind is Internal.
	ErrTampered = &errs.Error{Kind: errs.Internal, Msg: "encrypted file failed its integrity check"}
	// ErrFormat means the input is not in a format version this code reads.
	ErrFormat = &errs.Error{Kind: errs.Internal, Msg: "encrypted file has an unknown format"}
)

// PlaintextSize returns the plaintext length of a well-formed ciphertext of length n,
// for a Content-Length, without decrypting. It fails for lengths no encryption makes.
func PlaintextSize(n int64) (int64, error) {
	body := n - int64(headerSize)
	if body < tagSize {
		return 0, ErrFormat
	}
	full := body / encSegSize
	rest := body % encSegSize
	switch {
	case rest == 0:
		// Only full segments: the last one is full too.
		return full * SegmentSize, nil
	case rest < tagSize || (rest == tagSize && full > 0):
		return 0, ErrFormat
	default:
		return full*SegmentSize + rest - tagSize, nil
	}
}

func fileAEAD(key, header []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("blobs: key must be %d bytes, not %d", KeySize, len(key))
	}
	info := append([]byte("inoculate/blobs/stream/v1"), header[:len(magic)+1]...)
	fk, err := hkdf.Key(sha256.New, key, header[len(magic)+1:headerSize], string(info), KeySize)
	if err != nil {
		return nil, fmt.Errorf("blobs: derive file key: %w", err)
	}
	a, err := chacha20poly1305.New(fk)
	clear(fk)
	if err != nil {
		return nil, fmt.Errorf("blobs: cipher: %w", err)
	}
	return a, nil
}

func segmentNonce(nonce *[chacha20poly1305.NonceSize]byte, index uint64, last bool) {
	clear(nonce[:])
	binary.BigEndian.PutUint64(nonce[3:11], index)
	if last {
		nonce[11] = 1
	}
}

// Encrypt returns a writer that encrypts what is written to it onto w in the streaming
// format above, binding ad to every segment. Close writes the last segment and must be
// called (it does not close w); without it the output is refused as truncated. key must
// be KeySize random bytes. Memory use is one segment.
func Encrypt(w io.Writer, key, ad []byte) (io.WriteCloser, error) {
	header := make([]byte, headerSize)
	copy(header, magic)
	header[len(magic)] = formatVersion
	if _, err := readRandom(header[len(magic)+1:]); err != nil {
		return nil, fmt.Errorf("blobs: salt: %w", err)
	}
	a, err := fileAEAD(key, header)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(header); err != nil {
		return nil, fmt.Errorf("blobs: write header: %w", err)
	}
	return &encryptWriter{dst: w, aead: a, ad: bytes.Clone(ad), buf: make([]byte, 0, encSegSize)}, nil
}

type encryptWriter struct {
	dst   io.Writer
	aead  cipher.AEAD
	ad    []byte
	buf   []byte // plaintext of the pending segment; capacity holds its tag too
	index uint64
	nonce [chacha20poly1305.NonceSize]byte
	err   error // sticky: after a failure nothing more is written
}

var errClosed = errors.New("blobs: write to closed encrypter")

func (e *encryptWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	written := 0
	for len(p) > 0 {
		// A full segment is sealed only once more data arrives, because until then
		// it may be the last one and must carry the flag.
		if len(e.buf) == SegmentSize {
			if err := e.seal(false); err != nil {
				return written, err
			}
		}
		n := copy(e.buf[len(e.buf):SegmentSize], p)
		e.buf = e.buf[:len(e.buf)+n]
		p = p[n:]
		written += n
	}
	return written, nil
}

func (e *encryptWriter) seal(last bool) error {
	if !last && e.index == 1<<64-1 {
		e.err = errors.New("blobs: too many segments")
		return e.err
	}
	segmentNonce(&e.nonce, e.index, last)
	ct := e.aead.Seal(e.buf[:0], e.nonce[:], e.buf, e.ad)
	if _, err := e.dst.Write(ct); err != nil {
		e.err = fmt.Errorf("blobs: write segment: %w", err)
		return e.err
	}
	e.index++
	e.buf = e.buf[:0]
	return nil
}

// Close seals the last segment. It does not close the underlying writer.
func (e *encryptWriter) Close() error {
	if e.err != nil {
		if e.err == errClosed {
			return nil
		}
		return e.err
	}
	err := e.seal(true)
	clear(e.buf[:cap(e.buf)])
	if err != nil {
		return err
	}
	e.err = errClosed
	return nil
}

// Decrypt reads the header of an encrypted stream from r and returns a reader of its
// plaintext, verified segment by segment with key and ad. Read returns a segment's
// plaintext only after its tag verified; at the first failure it returns ErrTampered
// (or the read error of r) and nothing more, so a caller sees at most the plaintext of
// the verified segments before the fault. io.EOF comes only after the authenticated
// last segment. Memory use is one segment.
func Decrypt(r io.Reader, key, ad []byte) (io.Reader, error) {
	header := make([]byte, headerSize)
	if _, err := io.ReadFull(r, header); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrFormat
		}
		return nil, fmt.Errorf("blobs: read header: %w", err)
	}
	if string(header[:len(magic)]) != magic || header[len(magic)] != formatVersion {
		return nil, ErrFormat
	}
	a, err := fileAEAD(key, header)
	if err != nil {
		return nil, err
	}
	return &decryptReader{src: r, aead: a, ad: bytes.Clone(ad), buf: make([]byte, encSegSize+1)}, nil
}

type decryptReader struct {
	src   io.Reader
	aead  cipher.AEAD
	ad    []byte
	buf   []byte // one ciphertext segment plus one byte of look-ahead
	held  int    // bytes of buf filled (only the look-ahead byte between segments)
	plain []byte // verified plaintext not yet returned, inside buf
	index uint64
	nonce [chacha20poly1305.NonceSize]byte
	err   error // sticky; io.EOF after the last segment
}

func (d *decryptReader) Read(p []byte) (int, error) {
	for len(d.plain) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.next()
	}
	n := copy(p, d.plain)
	d.plain = d.plain[n:]
	return n, nil
}

// next reads and opens one segment. Whether it is the last one is known by reading one
// byte past a full segment: if the stream ends first, it is.
func (d *decryptReader) next() {
	if d.held == 1 {
		d.buf[0] = d.buf[encSegSize]
	}
	n, err := io.ReadFull(d.src, d.buf[d.held:])
	n += d.held
	switch {
	case err == nil:
		// A full segment followed by more data: not the last.
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		err = nil
	default:
		d.fail(fmt.Errorf("blobs: read segment: %w", err))
		return
	}
	last := n <= encSegSize
	ctLen := min(n, encSegSize)
	if ctLen < tagSize {
		d.fail(ErrTampered)
		return
	}
	segmentNonce(&d.nonce, d.index, last)
	pt, oerr := d.aead.Open(d.buf[:0], d.nonce[:], d.buf[:ctLen], d.ad)
	if oerr != nil {
		d.fail(ErrTampered)
		return
	}
	if last && len(pt) == 0 && d.index > 0 {
		// Encrypt never writes an empty last segment after others.
		d.fail(ErrTampered)
		return
	}
	d.plain = pt
	if last {
		d.held = 0
		d.err = io.EOF
		return
	}
	if d.index == 1<<64-1 {
		d.fail(ErrTampered)
		return
	}
	d.index++
	d.held = 1
}

func (d *decryptReader) fail(err error) {
	clear(d.buf)
	d.plain = nil
	d.err = err
}
