package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"inoculate/internal/platform/errs"
)

// Header names of the protocol.
const (
	HeaderOffset   = "Upload-Offset"
	HeaderLength   = "Upload-Length"
	HeaderComplete = "Upload-Complete"
	HeaderExpires  = "Upload-Expires"
)

var (
	errNotFound  = &errs.Error{Kind: errs.NotFound, Msg: "no such upload"}
	errTooMany   = &errs.Error{Kind: errs.TooMany, Msg: "too many uploads under way: finish or cancel one first"}
	errWrongSpot = &errs.Error{Kind: errs.Conflict, Msg: "the chunk does not start at the upload's offset"}
)

// createRequest is the body of Create.
type createRequest struct {
	Size        int64  `json:"size"`
	ContentType string `json:"contentType"`
}

type createResponse struct {
	ID        string    `json:"id"`
	ChunkSize int64     `json:"chunkSize"`
	Offset    int64     `json:"offset"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (u *Uploads) owner(r *http.Request) (string, error) {
	if u.cfg.Owner == nil {
		return "", nil
	}
	o, err := u.cfg.Owner(r)
	if err != nil {
		return "", errs.Wrap(err, "upload: owner")
	}
	return o, nil
}

// Create starts an upload (see the package comment for the contract).
func (u *Uploads) Create(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	owner, err := u.owner(r)
	if err != nil {
		return err
	}
	var req createRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return &errs.Error{Kind: errs.Invalid, Msg: "send a JSON object {\"size\": bytes, \"contentType\": type}", Err: err}
	}
	if dec.More() {
		return errs.E(errs.Invalid, "send one JSON object")
	}
	if req.Size <= 0 || req.Size > u.cfg.MaxSize {
		return &errs.Error{Kind: errs.Invalid, Field: "size", Msg: fmt.Sprintf("the file must be between 1 byte and %d bytes", u.cfg.MaxSize)}
	}
	if !validContentType(req.ContentType) {
		return &errs.Error{Kind: errs.Invalid, Field: "contentType", Msg: "the content type is not of the form type/subtype"}
	}
	now := u.cfg.Now()
	m := meta{Version: 1, ID: newID(), Owner: owner, Size: req.Size, ContentType: req.ContentType, Created: now.UTC()}

	// Count and reserve under one lock so parallel Creates cannot exceed the limit.
	u.mu.Lock()
	active := 0
	for _, e := range u.uploads {
		if e.meta.Owner == owner && !e.done.Load() && !u.expired(e.meta, now) {
			active++
		}
	}
	if active >= u.cfg.MaxActivePerOwner {
		u.mu.Unlock()
		return errTooMany
	}
	e := &entry{meta: m}
	e.mu.Lock() // nobody may use it before its description is stored
	u.uploads[m.ID] = e
	u.mu.Unlock()

	err = u.writeMeta(r.Context(), m)
	if err != nil {
		e.gone = true
		u.mu.Lock()
		delete(u.uploads, m.ID)
		u.mu.Unlock()
	}
	e.mu.Unlock()
	if err != nil {
		return err
	}

	w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+m.ID)
	w.Header().Set(HeaderOffset, "0")
	writeJSON(w, http.StatusCreated, createResponse{ID: m.ID, ChunkSize: u.cfg.ChunkSize, Offset: 0, ExpiresAt: m.Created.Add(u.cfg.TTL)})
	return nil
}

// validContentType accepts an empty hint or a plain "type/subtype" (no parameters).
func validContentType(s string) bool {
	if s == "" {
		return true
	}
	typ, sub, ok := strings.Cut(s, "/")
	if !ok || len(s) > 127 || typ == "" || sub == "" {
		return false
	}
	for _, c := range typ + sub {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.ContainsRune("+-.", c)) {
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// lookup finds the caller's live upload named in the path.
func (u *Uploads) lookup(r *http.Request) (*entry, string, error) {
	uid := r.PathValue("uid")
	if !validID(uid) {
		return nil, "", errNotFound
	}
	owner, err := u.owner(r)
	if err != nil {
		return nil, "", err
	}
	u.mu.Lock()
	e := u.uploads[uid]
	u.mu.Unlock()
	if e == nil || e.meta.Owner != owner || u.expired(e.meta, u.cfg.Now()) {
		return nil, "", errNotFound
	}
	return e, uid, nil
}

func setOffset(w http.ResponseWriter, off int64) {
	w.Header().Set(HeaderOffset, strconv.FormatInt(off, 10))
}

// Append stores one chunk (see the package comment for the contract).
func (u *Uploads) Append(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	e, uid, err := u.lookup(r)
	if err != nil {
		return err
	}
	a, b, total, err := ParseContentRange(r.Header.Get("Content-Range"))
	if err != nil {
		return err
	}
	size := e.meta.Size
	if total != size {
		return errs.Ef(errs.Invalid, "Content-Range total %d differs from the declared size %d", total, size)
	}
	n := b - a + 1
	switch {
	case n > MaxChunk:
		return errs.Ef(errs.Invalid, "a chunk may hold at most %d bytes", MaxChunk)
	case n < MinChunk && b+1 != size:
		return errs.Ef(errs.Invalid, "a chunk other than the last must hold at least %d bytes", MinChunk)
	case r.ContentLength >= 0 && r.ContentLength != n:
		return errs.Ef(errs.Invalid, "Content-Length %d differs from the Content-Range length %d", r.ContentLength, n)
	}

	// Decide without reading the body when the chunk is not the next one.
	e.mu.Lock()
	if done, err := u.settled(r.Context(), w, e, span{a, b}); done {
		e.mu.Unlock()
		return err
	}
	e.mu.Unlock()

	// Stage the body outside the lock: it may take minutes on a slow line.
	s := span{a, b}
	if err := u.putSealed(r.Context(), uid, chunkKey(uid, s), chunkAD(uid, s), r.Body, n); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &errs.Error{Kind: errs.Invalid, Msg: "the chunk is larger than this route allows", Err: err}
		}
		return errs.Wrap(err, "upload: stage chunk")
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gone {
		return errNotFound
	}
	if e.offset != a {
		// Another request stored a chunk here meanwhile. Drop ours unless it is the
		// very file now part of the upload (same range, replaced atomically).
		for _, c := range e.chunks {
			if c == s {
				return u.answer(r.Context(), w, e)
			}
		}
		u.staging.Delete(r.Context(), chunkKey(uid, s))
		_, err := u.settled(r.Context(), w, e, s)
		return err
	}
	e.chunks = append(e.chunks, s)
	e.offset = b + 1
	return u.answer(r.Context(), w, e)
}

// settled answers a chunk that needs no storing: gone, already stored, or not at the
// offset. It reports whether it answered.
func (u *Uploads) settled(ctx context.Context, w http.ResponseWriter, e *entry, s span) (bool, error) {
	switch {
	case e.gone:
		return true, errNotFound
	case e.done.Load() || s.b < e.offset:
		return true, u.answer(ctx, w, e)
	case s.a != e.offset:
		setOffset(w, e.offset)
		return true, errWrongSpot
	}
	return false, nil
}

// answer replies with the current offset, first handing the upload over if it is
// whole and not yet handed over. e.mu is held.
func (u *Uploads) answer(ctx context.Context, w http.ResponseWriter, e *entry) error {
	if e.offset == e.meta.Size && !e.done.Load() {
		if err := u.finish(context.WithoutCancel(ctx), e); err != nil {
			setOffset(w, e.offset)
			return err
		}
	}
	setOffset(w, e.offset)
	if e.done.Load() {
		w.Header().Set(HeaderComplete, "1")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// finish hands a whole upload to Complete, then records it and deletes its chunks.
func (u *Uploads) finish(ctx context.Context, e *entry) error {
	m := e.meta
	up := &Upload{ID: m.ID, Owner: m.Owner, ContentType: m.ContentType, Size: m.Size, Created: m.Created, u: u, chunks: e.chunks}
	if err := u.cfg.Complete(ctx, up); err != nil {
		return errs.Wrap(err, "upload: hand over")
	}
	m.Done = true
	if err := u.writeMeta(ctx, m); err != nil {
		return errs.Wrap(err, "upload: record hand-over")
	}
	e.done.Store(true)
	for _, s := range e.chunks {
		if err := u.staging.Delete(ctx, chunkKey(m.ID, s)); err != nil {
			// Swept with the upload at expiry.
			return errs.Wrap(err, "upload: delete staged chunk")
		}
	}
	e.chunks = nil
	return nil
}

// Offset reports an upload's progress (see the package comment for the contract).
func (u *Uploads) Offset(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	e, _, err := u.lookup(r)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gone {
		return errNotFound
	}
	setOffset(w, e.offset)
	w.Header().Set(HeaderLength, strconv.FormatInt(e.meta.Size, 10))
	w.Header().Set(HeaderExpires, e.meta.Created.Add(u.cfg.TTL).Format(time.RFC3339))
	if e.done.Load() {
		w.Header().Set(HeaderComplete, "1")
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// Cancel deletes an upload (see the package comment for the contract).
func (u *Uploads) Cancel(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	_, uid, err := u.lookup(r)
	if err != nil {
		return err
	}
	if err := u.remove(r.Context(), uid); err != nil {
		return errs.Wrap(err, "upload: cancel")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ParseContentRange parses "bytes a-b/total" strictly: decimal digits only, no signs
// or spaces inside numbers, 0 <= a <= b < total. The unsatisfied form "bytes */n"
// is refused: a chunk always carries bytes.
func ParseContentRange(s string) (a, b, total int64, err error) {
	bad := func(why string) (int64, int64, int64, error) {
		return 0, 0, 0, &errs.Error{Kind: errs.Invalid, Msg: "Content-Range must be \"bytes first-last/total\": " + why}
	}
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return bad("missing \"bytes \"")
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return bad("missing \"/\"")
	}
	first, last, ok := strings.Cut(rng, "-")
	if !ok {
		return bad("missing \"-\"")
	}
	if a, ok = parseDecimal(first); !ok {
		return bad("bad first byte")
	}
	if b, ok = parseDecimal(last); !ok {
		return bad("bad last byte")
	}
	if total, ok = parseDecimal(tot); !ok {
		return bad("bad total")
	}
	if a > b || b >= total {
		return bad("range out of order or past the total")
	}
	return a, b, total, nil
}

// parseDecimal accepts 1 to 18 ASCII digits (below 10^18, far above any file here),
// so overflow cannot happen and no sign, space or underscore slips in.
func parseDecimal(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

var _ io.Reader = (*chainReader)(nil)
