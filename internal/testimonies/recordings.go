package testimonies

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/blobs"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/upload"
)

// PermReview lets a role receive an original recording: the people who review it
// before anything is derived from it. Originals are never served to anyone else.
var PermReview = authz.Allow("testimonies.review_original", authz.CommsOfficer, authz.SafetyOfficer, authz.Supervisor)

// Recordings is where originals go: the sealed blob store (keys derived per speaker,
// see vault.BlobKey) and the check of a file's kind by its first bytes.
type Recordings struct {
	Store *blobs.Sealed
	Sniff func(first []byte) (kind string, ok bool)
}

// SetRecordings enables original recordings.
func (s *Service) SetRecordings(r Recordings) { s.rec = r }

// Recording is an original recording of a testimony.
type Recording struct {
	ID         string    `json:"id"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	Kind       string    `json:"kind"`
	UploadedBy string    `json:"uploaded_by"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// blobSubject names whose key seals a recording: the speaker, within the tenant.
func blobSubject(t Testimony) string { return t.TenantID + "/" + t.ReturneeID }

// SubjectKey splits a blob subject back into tenant and returnee, for the wiring's
// key source.
func SubjectKey(subject string) (tenantID, returneeID string, ok bool) {
	return strings.Cut(subject, "/")
}

// UploadOwner is the owner string of an upload to testimony id: only the same user,
// for the same testimony, may continue it.
func UploadOwner(p *authz.Principal, testimonyID string) string {
	return p.TenantID + "/" + p.UserID + "/" + testimonyID
}

func parseOwner(owner string) (tenantID, userID, testimonyID string, ok bool) {
	parts := strings.Split(owner, "/")
	if len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// sniffLen is how much of a file its kind is read from.
const sniffLen = 64

// Complete receives a finished upload: it checks the file's kind by its content,
// stores it sealed with the speaker's key, and records it. It is idempotent by
// upload id (a retried hand-over records the recording once).
func (s *Service) Complete(ctx context.Context, up *upload.Upload) error {
	if s.rec.Store == nil || s.rec.Sniff == nil {
		return errs.E(errs.Internal, "testimonies: recordings are not configured")
	}
	tenantID, userID, id, ok := parseOwner(up.Owner)
	if !ok {
		return errs.E(errs.Internal, "testimonies: upload of unknown owner")
	}
	t, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return err
	}
	var n int
	if err := s.db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM testimony_recordings WHERE tenant_id = ? AND id = ?`, tenantID, up.ID).Scan(&n); err != nil {
		return errs.Wrap(err, "testimonies: recording exists")
	}
	if n > 0 {
		return nil
	}
	rc, err := up.Open()
	if err != nil {
		return errs.Wrap(err, "testimonies: open upload")
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	first, _ := br.Peek(sniffLen)
	kind, ok := s.rec.Sniff(first)
	if !ok {
		return &errs.Error{Kind: errs.Invalid, Field: "file", MsgKey: "testimonies.error.not_media",
			Msg: "this is not an audio or video recording we accept (checked by its content, not its name)"}
	}
	h := sha256.New()
	key := "recordings/" + tenantID + "/" + id + "/" + up.ID
	size, err := s.rec.Store.PutSealed(ctx, key, blobSubject(t), []byte(key), io.TeeReader(br, h))
	if err != nil {
		return errs.Wrap(err, "testimonies: store recording")
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO testimony_recordings (id, tenant_id, testimony_id, blob_key, size, sha256, kind, uploaded_by, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			up.ID, tenantID, id, key, size, sum, kind, userID, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "testimonies: record recording")
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{TenantID: tenantID, ActorID: userID, Action: "testimony.recording_upload", Object: up.ID, Result: "ok"})
		return err
	})
}

// Recordings lists a testimony's original recordings.
func (s *Service) Recordings(ctx context.Context, tenantID, id string) ([]Recording, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT id, size, sha256, kind, uploaded_by, uploaded_at FROM testimony_recordings
		WHERE tenant_id = ? AND testimony_id = ? ORDER BY uploaded_at, id`, tenantID, id)
	if err != nil {
		return nil, errs.Wrap(err, "testimonies: recordings")
	}
	defer rows.Close()
	out := []Recording{}
	for rows.Next() {
		var r Recording
		var at int64
		if err := rows.Scan(&r.ID, &r.Size, &r.SHA256, &r.Kind, &r.UploadedBy, &at); err != nil {
			return nil, errs.Wrap(err, "testimonies: recordings")
		}
		r.UploadedAt = store.FromMillis(at)
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "testimonies: recordings")
}

// OpenRecording gives a reviewer an original recording, decrypted as it is read: an
// audited read.
func (s *Service) OpenRecording(ctx context.Context, p *authz.Principal, requestID, id, recordingID string) (Recording, io.ReadCloser, error) {
	if err := check(PermReview, p); err != nil {
		return Recording{}, nil, err
	}
	t, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return Recording{}, nil, err
	}
	var r Recording
	var key string
	var at int64
	err = s.db.Reader().QueryRow(ctx, `SELECT id, size, sha256, kind, uploaded_by, uploaded_at, blob_key FROM testimony_recordings
		WHERE tenant_id = ? AND testimony_id = ? AND id = ?`, p.TenantID, id, recordingID).Scan(&r.ID, &r.Size, &r.SHA256, &r.Kind, &r.UploadedBy, &at, &key)
	if err != nil {
		return r, nil, &errs.Error{Kind: errs.NotFound, MsgKey: "testimonies.error.recording", Msg: "no such recording"}
	}
	r.UploadedAt = store.FromMillis(at)
	if err := s.audit.Record(ctx, entry(p, requestID, "testimony.recording_read", recordingID)); err != nil {
		return r, nil, err
	}
	rc, err := s.rec.Store.GetSealed(ctx, key, blobSubject(t), []byte(key))
	if err != nil {
		return r, nil, errs.Wrap(err, "testimonies: open recording")
	}
	return r, rc, nil
}

// SizeMB is the size in megabytes, as the page shows it.
func (r Recording) SizeMB() string { return strconv.FormatFloat(float64(r.Size)/(1<<20), 'f', 1, 64) }

// ShortSum is the start of the checksum, enough to tell files apart on a page.
func (r Recording) ShortSum() string {
	if len(r.SHA256) > 12 {
		return r.SHA256[:12]
	}
	return r.SHA256
}
