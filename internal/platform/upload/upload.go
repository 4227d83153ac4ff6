// Package upload receives large files (recordings of several gigabytes) in chunks over
// a resumable protocol of our own, close to tus but smaller, so that a dropped
// connection or a reloaded page costs at most one chunk. The browser side is ClientJS.
//
// # Protocol
//
// The lead mounts the four handlers on its router under one path, with permissions;
// this package registers no routes. The PUT, HEAD and DELETE patterns must name the
// upload id wildcard {uid}, for example "PUT /api/testimonies/uploads/{uid}".
//
// Create — POST …/uploads, body {"size": n, "contentType": "video/mp4"} (JSON, at most
// 4 KiB; contentType is a hint, never trusted: the file is checked by content later).
// 201 Created, headers Location (…/uploads/{uid}), Upload-Offset: 0, body
// {"id", "chunkSize", "offset": 0, "expiresAt"}. 400 for a size of 0 or above MaxSize or
// a malformed body; 429 when the owner already has MaxActivePerOwner uploads running.
//
// Append — PUT …/uploads/{uid}, header Content-Range: bytes a-b/total, body the bytes
// a..b (inclusive). total must be the declared size; the chunk must start at the
// current offset, hold 1..MaxChunk bytes, and at least MinChunk unless it is the last.
// 204 No Content with Upload-Offset (the new offset), and Upload-Complete: 1 once the
// whole file was handed to Config.Complete. A chunk already stored (b < offset) is a
// no-op answered 204 with the current offset; its bytes are not compared. A chunk that
// does not start at the offset is 409 Conflict with Upload-Offset: the client resumes
// from there. 400 for a malformed or inconsistent Content-Range, a body of the wrong
// length, or a chunk out of bounds. When the last chunk lands, Complete runs before the
// answer; if it fails, the error is returned (its kind decides the status) and
// re-sending any chunk retries the hand-over.
//
// Offset — HEAD …/uploads/{uid}: 200 with Upload-Offset, Upload-Length, Upload-Expires
// (RFC 3339) and, when handed over, Upload-Complete: 1.
//
// Cancel — DELETE …/uploads/{uid}: 204; the staged bytes are deleted.
//
// For all: 404 for an unknown, expired, or another owner's upload (never 403, which
// would confirm it exists). Every answer carries Cache-Control: no-store. Errors are
// returned as *errs.Error for the router to render; headers are set before.
//
// # Staging
//
// Chunks are staged on disk encrypted, never in plaintext (SECURITY.md P33): each is a
// file in the blobs streaming format, under a key derived with HKDF-SHA256 from a
// server secret (Config.Secret, from the vault's key file) and the upload id, with the
// upload id and the chunk's byte range as associated data. A random per-upload key
// held only in memory would be lost at a restart, taking the upload with it; one
// sealed by a KeySource would need a subject before the file is even read. A derived
// key survives restarts with no extra state, gives every upload its own key, and a
// staged chunk moved to another upload or another position fails to open. Someone
// with the disk but not the key file reads nothing; someone with both could read
// staged uploads younger than TTL, as they could read the vault.
//
// The staging directory belongs to one server process: uploads are indexed in memory
// and reloaded from the directory at New. An upload's layout is {uid}/meta (its
// description, encrypted likewise) and {uid}/c-{a}-{b} per chunk. A chunk becomes part
// of the upload when its file is renamed into place (blobs.Local.Put), so a crash
// loses at most the chunk being written, and the offset after a restart is where the
// contiguous chunks end.
package upload

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"inoculate/internal/platform/blobs"
	"inoculate/internal/platform/errs"
)

const (
	// MaxChunk is the largest chunk accepted; route body limits must allow it.
	MaxChunk = 16 << 20
	// MinChunk is the smallest chunk accepted but for the last: it bounds the number
	// of chunk files of an upload (8 GiB / 1 MiB = 8,192).
	MinChunk = 1 << 20
	// DefaultMaxSize is the default largest upload: 8 GiB.
	DefaultMaxSize = 8 << 30
	// DefaultChunkSize is the chunk size suggested to clients.
	DefaultChunkSize = 8 << 20
	// DefaultTTL is how long an upload may take from its creation.
	DefaultTTL = 24 * time.Hour
	// DefaultMaxActivePerOwner bounds the uploads one owner can have under way.
	DefaultMaxActivePerOwner = 4
)

// Config configures Uploads. Dir, Secret and Complete are required.
type Config struct {
	// Dir is the staging directory, created with mode 0700 if needed.
	Dir string
	// Secret (at least 32 bytes) keys the staging encryption; it must stay the same
	// across restarts, e.g. vault.KeyFile.Secret("upload-staging").
	Secret []byte
	// Complete receives each finished upload, once its last chunk is stored; Upload.Open
	// reads it back. It runs in the request of the last chunk, without that request's
	// cancellation. A nil error ends the upload and deletes the staged chunks. It must
	// be idempotent by Upload.ID: a crash between its success and the record of it
	// makes the next retry call it again.
	Complete func(ctx context.Context, up *Upload) error
	// Owner names who the request acts for (e.g. tenant and user ids). Uploads can be
	// continued only by the owner that created them. Nil means everyone is one owner.
	Owner func(r *http.Request) (string, error)

	MaxSize           int64         // largest declared size; DefaultMaxSize if 0
	ChunkSize         int64         // suggested chunk size; DefaultChunkSize if 0
	TTL               time.Duration // lifetime from creation; DefaultTTL if 0
	MaxActivePerOwner int           // DefaultMaxActivePerOwner if 0
	Now               func() time.Time
}

// Uploads holds the uploads under way. Its handlers are safe for concurrent use.
type Uploads struct {
	cfg     Config
	staging *blobs.Local

	mu      sync.Mutex
	uploads map[string]*entry
}

// entry is one upload; mu serialises its commits and its hand-over.
type entry struct {
	meta meta        // fixed at creation (its Done field is not kept up to date: see done)
	done atomic.Bool // handed over; read without mu by Create's count

	mu     sync.Mutex
	offset int64
	chunks []span // contiguous from 0 to offset
	gone   bool   // cancelled or swept while a request waited for mu
}

type span struct{ a, b int64 } // inclusive byte range

type meta struct {
	Version     int       `json:"v"`
	ID          string    `json:"id"`
	Owner       string    `json:"owner"`
	Size        int64     `json:"size"`
	ContentType string    `json:"contentType"`
	Created     time.Time `json:"created"`
	Done        bool      `json:"done"`
}

// Upload is a finished upload as handed to Config.Complete.
type Upload struct {
	ID          string
	Owner       string
	ContentType string // the client's hint, unverified
	Size        int64
	Created     time.Time

	u      *Uploads
	chunks []span
}

// New opens the staging directory and reloads the uploads found there.
func New(cfg Config) (*Uploads, error) {
	if cfg.Dir == "" || cfg.Complete == nil {
		return nil, errors.New("upload: Config needs Dir and Complete")
	}
	if len(cfg.Secret) < 32 {
		return nil, errors.New("upload: Config.Secret must be at least 32 bytes")
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.ChunkSize < MinChunk || cfg.ChunkSize > MaxChunk {
		return nil, fmt.Errorf("upload: ChunkSize must be between %d and %d", MinChunk, MaxChunk)
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxActivePerOwner == 0 {
		cfg.MaxActivePerOwner = DefaultMaxActivePerOwner
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Secret = bytes.Clone(cfg.Secret)
	staging, err := blobs.NewLocal(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	u := &Uploads{cfg: cfg, staging: staging, uploads: map[string]*entry{}}
	if err := u.reload(context.Background()); err != nil {
		staging.Close()
		return nil, err
	}
	return u, nil
}

// Close releases the staging directory.
func (u *Uploads) Close() error { return u.staging.Close() }

// reload rebuilds the index from the staging directory after a start.
func (u *Uploads) reload(ctx context.Context) error {
	// The directory is ours alone and nothing is being written yet: every temporary
	// file is the remains of a crash.
	if _, err := u.staging.RemoveTemp(0); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	keys, err := u.staging.List(ctx, "")
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	byUpload := map[string][]string{}
	for _, k := range keys {
		uid, name, ok := strings.Cut(k, "/")
		if !ok || !validID(uid) {
			continue
		}
		byUpload[uid] = append(byUpload[uid], name)
	}
	for uid, names := range byUpload {
		if !slices.Contains(names, "meta") {
			// Created but its description never landed: nothing can continue it.
			u.removeFiles(ctx, uid, names)
			continue
		}
		m, err := u.readMeta(ctx, uid)
		if err != nil {
			// Kept for an operator: most likely the secret changed.
			slog.Warn("upload: staged upload unreadable, skipped", "upload", uid, "err", err)
			continue
		}
		e := &entry{meta: m}
		e.done.Store(m.Done)
		var spans []span
		for _, n := range names {
			if s, ok := parseChunkName(n); ok {
				spans = append(spans, s)
			}
		}
		e.chunks, e.offset = contiguous(spans)
		if m.Done {
			e.offset = m.Size
		}
		// Chunks past a gap, or overlapping the chain, can never be used.
		for _, s := range spans {
			if !slices.Contains(e.chunks, s) {
				u.staging.Delete(ctx, chunkKey(uid, s))
			}
		}
		u.uploads[uid] = e
	}
	return nil
}

// contiguous returns the chain of spans from 0 and where it ends. Where two spans start
// at the same byte (a crash between storing a chunk and dropping a rival one) the
// longer wins: both came from the owner for that range.
func contiguous(spans []span) ([]span, int64) {
	slices.SortFunc(spans, func(x, y span) int {
		if c := cmp.Compare(x.a, y.a); c != 0 {
			return c
		}
		return cmp.Compare(y.b, x.b)
	})
	var chain []span
	var off int64
	for _, s := range spans {
		if s.a == off {
			chain = append(chain, s)
			off = s.b + 1
		}
	}
	return chain, off
}

func (u *Uploads) removeFiles(ctx context.Context, uid string, names []string) {
	for _, n := range names {
		if err := u.staging.Delete(ctx, uid+"/"+n); err != nil {
			slog.Warn("upload: delete staged file", "upload", uid, "err", err)
		}
	}
}

// validID checks an upload id's shape: 26 characters of lower-case base32, as made by
// newID. Anything else is not ours and never touches the file system.
func validID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

func newID() string { return strings.ToLower(rand.Text()) } // 128 random bits

func chunkKey(uid string, s span) string {
	return fmt.Sprintf("%s/c-%020d-%020d", uid, s.a, s.b)
}

func parseChunkName(name string) (span, bool) {
	rest, ok := strings.CutPrefix(name, "c-")
	if !ok || len(rest) != 41 || rest[20] != '-' {
		return span{}, false
	}
	a, err1 := strconv.ParseInt(rest[:20], 10, 64)
	b, err2 := strconv.ParseInt(rest[21:], 10, 64)
	if err1 != nil || err2 != nil || a < 0 || b < a {
		return span{}, false
	}
	return span{a, b}, true
}

// key derives the staging key of one upload.
func (u *Uploads) key(uid string) []byte {
	k, err := hkdf.Key(sha256.New, u.cfg.Secret, nil, "inoculate/upload/staging/v1:"+uid, blobs.KeySize)
	if err != nil {
		panic("upload: derive key: " + err.Error()) // only for absurd lengths
	}
	return k
}

func metaAD(uid string) []byte { return []byte("inoculate/upload/meta/v1:" + uid) }

func chunkAD(uid string, s span) []byte {
	b := []byte("inoculate/upload/chunk/v1:" + uid + ":")
	b = binary.BigEndian.AppendUint64(b, uint64(s.a))
	return binary.BigEndian.AppendUint64(b, uint64(s.b))
}

// putSealed stores r encrypted under the upload's key. want >= 0 demands exactly that
// many plaintext bytes, else the file is not stored.
func (u *Uploads) putSealed(ctx context.Context, uid, key string, ad []byte, r io.Reader, want int64) error {
	k := u.key(uid)
	defer clear(k)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		enc, err := blobs.Encrypt(pw, k, ad)
		if err == nil {
			var n int64
			src := r
			if want >= 0 {
				src = io.LimitReader(r, want+1)
			}
			n, err = io.Copy(enc, src)
			switch {
			case err != nil:
			case want >= 0 && n != want:
				err = errs.Ef(errs.Invalid, "the chunk body has %s bytes, Content-Range says %d", lengthWord(n, want), want)
			default:
				err = enc.Close()
			}
		}
		pw.CloseWithError(err)
		done <- err
	}()
	_, err := u.staging.Put(ctx, key, pr)
	pr.CloseWithError(errors.New("upload: staging stopped reading"))
	if serr := <-done; serr != nil {
		return serr
	}
	return err
}

func lengthWord(n, want int64) string {
	if n > want {
		return "more than " + strconv.FormatInt(want, 10)
	}
	return strconv.FormatInt(n, 10)
}

func (u *Uploads) writeMeta(ctx context.Context, m meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("upload: encode description: %w", err)
	}
	if err := u.putSealed(ctx, m.ID, m.ID+"/meta", metaAD(m.ID), bytes.NewReader(b), -1); err != nil {
		return fmt.Errorf("upload: write description: %w", err)
	}
	return nil
}

func (u *Uploads) readMeta(ctx context.Context, uid string) (meta, error) {
	var m meta
	rc, err := u.openSealed(ctx, uid, uid+"/meta", metaAD(uid))
	if err != nil {
		return m, err
	}
	defer rc.Close()
	dec := json.NewDecoder(io.LimitReader(rc, 64<<10))
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("upload: read description: %w", err)
	}
	if m.Version != 1 || m.ID != uid {
		return m, fmt.Errorf("upload: description of %s is version %d for %q", uid, m.Version, m.ID)
	}
	return m, nil
}

func (u *Uploads) openSealed(ctx context.Context, uid, key string, ad []byte) (io.ReadCloser, error) {
	rc, err := u.staging.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	k := u.key(uid)
	defer clear(k)
	plain, err := blobs.Decrypt(rc, k, ad)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("upload: open %s: %w", key, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{plain, rc}, nil
}

// Open returns a reader of the whole uploaded file, decrypting and verifying each
// staged chunk in order. It is valid only during Config.Complete: the chunks are
// deleted after it succeeds.
func (up *Upload) Open() (io.ReadCloser, error) {
	return &chainReader{up: up}, nil
}

type chainReader struct {
	up   *Upload
	next int           // index of the next chunk to open
	cur  io.ReadCloser // the chunk being read
	left int64         // bytes the current chunk must still yield
	err  error
}

func (c *chainReader) Read(p []byte) (int, error) {
	for c.err == nil {
		if c.cur == nil {
			if c.next == len(c.up.chunks) {
				c.err = io.EOF
				break
			}
			s := c.up.chunks[c.next]
			c.next++
			rc, err := c.up.u.openSealed(context.Background(), c.up.ID, chunkKey(c.up.ID, s), chunkAD(c.up.ID, s))
			if err != nil {
				c.err = err
				break
			}
			c.cur, c.left = rc, s.b-s.a+1
		}
		n, err := c.cur.Read(p[:min(int64(len(p)), c.left+1)])
		c.left -= int64(n)
		switch {
		case c.left < 0:
			c.err = fmt.Errorf("upload %s: a staged chunk is longer than its range", c.up.ID)
			return 0, c.err
		case err == io.EOF:
			c.cur.Close()
			c.cur = nil
			if c.left != 0 {
				c.err = fmt.Errorf("upload %s: a staged chunk is shorter than its range", c.up.ID)
				return 0, c.err
			}
		case err != nil:
			c.err = err
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, c.err
}

func (c *chainReader) Close() error {
	if c.cur != nil {
		c.cur.Close()
		c.cur = nil
	}
	if c.err == nil {
		c.err = errors.New("upload: reader closed")
	}
	return nil
}

// Sweep deletes the uploads older than the TTL, finished or not, and returns how
// many. Run it periodically (e.g. hourly) from a job.
func (u *Uploads) Sweep(ctx context.Context) (int, error) {
	now := u.cfg.Now()
	u.mu.Lock()
	var expired []string
	for uid, e := range u.uploads {
		if u.expired(e.meta, now) {
			expired = append(expired, uid)
		}
	}
	u.mu.Unlock()
	removed := 0
	var firstErr error
	for _, uid := range expired {
		if err := u.remove(ctx, uid); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		removed++
	}
	return removed, firstErr
}

func (u *Uploads) expired(m meta, now time.Time) bool {
	return !now.Before(m.Created.Add(u.cfg.TTL))
}

// remove deletes an upload's files and forgets it.
func (u *Uploads) remove(ctx context.Context, uid string) error {
	u.mu.Lock()
	e := u.uploads[uid]
	u.mu.Unlock()
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	keys, err := u.staging.List(ctx, uid+"/")
	if err != nil {
		return fmt.Errorf("upload: list %s: %w", uid, err)
	}
	// The description goes first: chunks without one are deleted by reload, so an
	// interrupted removal never brings a cancelled upload back.
	slices.SortFunc(keys, func(x, y string) int {
		return boolInt(strings.HasSuffix(y, "/meta")) - boolInt(strings.HasSuffix(x, "/meta"))
	})
	for _, k := range keys {
		if err := u.staging.Delete(ctx, k); err != nil {
			return fmt.Errorf("upload: delete %s: %w", uid, err)
		}
	}
	e.gone = true
	u.mu.Lock()
	delete(u.uploads, uid)
	u.mu.Unlock()
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
