package testimonies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/jobs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/assessment"
	"inoculate/internal/returnees/consent"
	"inoculate/internal/testimonies/media"
)

// JobRendition is the background job that makes a protected rendition.
const JobRendition jobs.Kind = "testimony.rendition"

// Renditions is what making renditions needs: the job queue, a private work directory
// for the decrypted original while ffmpeg reads it (removed when the job ends), the
// consent that decides the protection, and the media tools.
type Renditions struct {
	Queue   jobs.Queue
	WorkDir string
	Consent *consent.Service
	Assess  *assessment.Service // the current threat level, for the safety review
	Tools   media.Tools
}

// SetRenditions enables renditions and registers the job's handler on r.Queue.
func (s *Service) SetRenditions(r Renditions) {
	s.rend = r
	r.Queue.Register(JobRendition, s.runRendition)
}

// Rendition is a protected rendition of a clip.
type Rendition struct {
	ID            string                `json:"id"`
	ClipID        string                `json:"clip_id"`
	IdentityLevel consent.IdentityLevel `json:"identity_level"`
	JobID         string                `json:"job_id"`
	Status        string                `json:"status"`
	Size          int64                 `json:"size"`
	SHA256        string                `json:"sha256"`
	Clean         bool                  `json:"clean"`
	Findings      json.RawMessage       `json:"findings,omitempty"`
	Error         string                `json:"error,omitempty"`
	CreatedAt     time.Time             `json:"created_at"`
}

// protection is how a consent's identity level is rendered, nothing weaker: faces are
// shown only at full or first-name level; the voice is kept only there too; alias
// protection fills faces and removes the voice; audio re-voiced and text only black
// the picture out.
func protection(l consent.IdentityLevel) (media.ProtectOptions, bool) {
	switch l {
	case consent.LevelFull, consent.LevelFirstName:
		return media.ProtectOptions{Audio: media.AudioKeep}, true
	case consent.LevelAliasProtected:
		return media.ProtectOptions{Audio: media.AudioRemove}, true
	case consent.LevelAudioRevoiced, consent.LevelTextOnly:
		return media.ProtectOptions{Blackout: true, Audio: media.AudioRemove}, true
	}
	return media.ProtectOptions{}, false
}

type renditionArgs struct {
	RenditionID string `json:"rendition_id"`
}

// RequestRendition asks for a protected rendition of a clip from the latest original
// recording, at the identity level the speaker's current consent allows (refused when
// it allows none). The work happens in a background job; the rendition is visible at
// once as queued.
func (s *Service) RequestRendition(ctx context.Context, p *authz.Principal, requestID, id, clipID string) (Rendition, error) {
	if err := check(PermWrite, p); err != nil {
		return Rendition{}, err
	}
	if s.rend.Queue == nil {
		return Rendition{}, errs.E(errs.Internal, "testimonies: renditions are not configured")
	}
	t, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return Rendition{}, err
	}
	v, ok, err := s.rend.Consent.Current(ctx, p.TenantID, t.ReturneeID)
	if err != nil {
		return Rendition{}, err
	}
	if !ok || v.Status != consent.StatusActive || v.Expired(s.now()) {
		return Rendition{}, &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.no_consent",
			Msg: "the speaker's current consent allows no recorded testimony: nothing can be rendered"}
	}
	if _, ok := protection(v.IdentityLevel); !ok {
		return Rendition{}, &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.no_consent", Msg: "unknown identity level"}
	}
	recs, err := s.Recordings(ctx, p.TenantID, id)
	if err != nil {
		return Rendition{}, err
	}
	if len(recs) == 0 {
		return Rendition{}, &errs.Error{Kind: errs.Conflict, MsgKey: "testimonies.error.no_recording", Msg: "upload the recording first"}
	}
	clips, err := s.Clips(ctx, p.TenantID, id)
	if err != nil {
		return Rendition{}, err
	}
	found := false
	for _, c := range clips {
		found = found || c.ID == clipID
	}
	if !found {
		return Rendition{}, &errs.Error{Kind: errs.NotFound, MsgKey: "testimonies.error.clip", Msg: "no such clip"}
	}
	rid, err := newID()
	if err != nil {
		return Rendition{}, err
	}
	args, _ := json.Marshal(renditionArgs{RenditionID: rid})
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		jid, err := s.rend.Queue.Enqueue(ctx, tx, JobRendition, p.TenantID, args)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO testimony_renditions (id, tenant_id, testimony_id, clip_id, recording_id, identity_level, job_id, status, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`, rid, p.TenantID, id, clipID, recs[len(recs)-1].ID, string(v.IdentityLevel), jid, p.UserID, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "testimonies: record rendition")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "testimony.rendition_request", rid))
		return err
	})
	if err != nil {
		return Rendition{}, err
	}
	return s.Rendition(ctx, p.TenantID, id, rid)
}

const selectRendition = `SELECT id, clip_id, identity_level, job_id, status, COALESCE(size, 0), COALESCE(sha256, ''), clean, findings, error, created_at FROM testimony_renditions`

func scanRendition(r interface{ Scan(...any) error }) (Rendition, error) {
	var x Rendition
	var level, findings string
	var clean int
	var at int64
	if err := r.Scan(&x.ID, &x.ClipID, &level, &x.JobID, &x.Status, &x.Size, &x.SHA256, &clean, &findings, &x.Error, &at); err != nil {
		return x, err
	}
	x.IdentityLevel, x.Clean, x.CreatedAt = consent.IdentityLevel(level), clean != 0, store.FromMillis(at)
	if findings != "" {
		x.Findings = json.RawMessage(findings)
	}
	return x, nil
}

// Rendition returns one rendition of a testimony.
func (s *Service) Rendition(ctx context.Context, tenantID, id, rid string) (Rendition, error) {
	x, err := scanRendition(s.db.Reader().QueryRow(ctx, selectRendition+` WHERE tenant_id = ? AND testimony_id = ? AND id = ?`, tenantID, id, rid))
	if err != nil {
		return x, &errs.Error{Kind: errs.NotFound, MsgKey: "testimonies.error.rendition", Msg: "no such rendition"}
	}
	return x, nil
}

// RenditionsOf lists a testimony's renditions, newest first.
func (s *Service) RenditionsOf(ctx context.Context, tenantID, id string) ([]Rendition, error) {
	rows, err := s.db.Reader().Query(ctx, selectRendition+` WHERE tenant_id = ? AND testimony_id = ? ORDER BY created_at DESC, id`, tenantID, id)
	if err != nil {
		return nil, errs.Wrap(err, "testimonies: renditions")
	}
	defer rows.Close()
	out := []Rendition{}
	for rows.Next() {
		x, err := scanRendition(rows)
		if err != nil {
			return nil, errs.Wrap(err, "testimonies: renditions")
		}
		out = append(out, x)
	}
	return out, errs.Wrap(rows.Err(), "testimonies: renditions")
}

// runRendition is the job: the original is decrypted into a private work directory
// (removed however the job ends), cut to the clip, protected (always re-encoded),
// checked on the exact output file, and the output sealed like the original.
func (s *Service) runRendition(ctx context.Context, job jobs.Job, progress func(done, total int64, note string)) error {
	var a renditionArgs
	if err := json.Unmarshal(job.Args, &a); err != nil {
		return jobs.Permanent(fmt.Errorf("rendition: bad arguments"))
	}
	var t Testimony
	var clipID, recID, level string
	err := s.db.Reader().QueryRow(ctx, `SELECT testimony_id, clip_id, recording_id, identity_level FROM testimony_renditions WHERE tenant_id = ? AND id = ?`,
		job.TenantID, a.RenditionID).Scan(&t.ID, &clipID, &recID, &level)
	if err != nil {
		return jobs.Permanent(fmt.Errorf("rendition: not found"))
	}
	if t, err = s.Get(ctx, job.TenantID, t.ID); err != nil {
		return jobs.Permanent(err)
	}
	fail := func(err error) error {
		_ = s.db.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE testimony_renditions SET status = 'failed', error = ?, finished_at = ? WHERE tenant_id = ? AND id = ?`,
				err.Error(), store.Millis(s.now()), job.TenantID, a.RenditionID)
			return err
		})
		return err
	}
	opts, ok := protection(consent.IdentityLevel(level))
	if !ok {
		return jobs.Permanent(fail(fmt.Errorf("unknown identity level")))
	}
	clips, err := s.Clips(ctx, job.TenantID, t.ID)
	if err != nil {
		return fail(err)
	}
	var clip Clip
	for _, c := range clips {
		if c.ID == clipID {
			clip = c
		}
	}
	var blobKey, kind string
	if err := s.db.Reader().QueryRow(ctx, `SELECT blob_key, kind FROM testimony_recordings WHERE tenant_id = ? AND id = ?`, job.TenantID, recID).Scan(&blobKey, &kind); err != nil || clip.ID == "" {
		return jobs.Permanent(fail(fmt.Errorf("the recording or the clip is gone")))
	}
	work, err := os.MkdirTemp(s.rend.WorkDir, "rendition-")
	if err != nil {
		return fail(fmt.Errorf("work directory: %w", err))
	}
	defer os.RemoveAll(work)
	progress(0, 4, "decrypting the original")
	in := filepath.Join(work, "original."+kind)
	if err := s.decryptTo(ctx, t, blobKey, in); err != nil {
		return fail(err)
	}
	progress(1, 4, "cutting the clip")
	cut := filepath.Join(work, "clip.mkv")
	if err := s.cut(ctx, in, cut, clip); err != nil {
		return fail(err)
	}
	_ = os.Remove(in)
	progress(2, 4, "protecting")
	out := filepath.Join(work, "rendition.mp4")
	opts.Tools = s.rend.Tools
	if _, err := media.Protect(ctx, cut, out, opts, nil); err != nil {
		return fail(fmt.Errorf("protect: %w", err))
	}
	progress(3, 4, "checking the output")
	det, err := media.NewPigoCheckDetector()
	if err != nil {
		return fail(err)
	}
	found, err := media.CheckOutput(ctx, out, media.DefaultAllowlist(), det, time.Second)
	if err != nil {
		return fail(fmt.Errorf("check: %w", err))
	}
	findings, _ := json.Marshal(found)
	key := "renditions/" + job.TenantID + "/" + t.ID + "/" + a.RenditionID + ".mp4"
	f, err := os.Open(out)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := s.rec.Store.PutSealed(ctx, key, blobSubject(t), []byte(key), io.TeeReader(f, h))
	if err != nil {
		return fail(fmt.Errorf("store: %w", err))
	}
	clean := 0
	if found.Clean() {
		clean = 1
	}
	if err := s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE testimony_renditions SET status = 'done', blob_key = ?, size = ?, sha256 = ?, findings = ?, clean = ?, finished_at = ?
			WHERE tenant_id = ? AND id = ?`, key, size, hex.EncodeToString(h.Sum(nil)), string(findings), clean, store.Millis(s.now()), job.TenantID, a.RenditionID)
		return err
	}); err != nil {
		return fmt.Errorf("record the rendition: %w", err)
	}
	progress(4, 4, "done")
	return nil
}

func (s *Service) decryptTo(ctx context.Context, t Testimony, key, path string) error {
	rc, err := s.rec.Store.GetSealed(ctx, key, blobSubject(t), []byte(key))
	if err != nil {
		return fmt.Errorf("open the original: %w", err)
	}
	defer rc.Close()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return fmt.Errorf("decrypt the original: %w", err)
	}
	return f.Close()
}

// cut copies the clip's range of in to out (Protect re-encodes it afterwards).
func (s *Service) cut(ctx context.Context, in, out string, c Clip) error {
	ffmpeg := s.rend.Tools.FFmpeg
	if ffmpeg == "" {
		ffmpeg = "ffmpeg"
	}
	sec := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
	cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-ss", sec(c.Start), "-to", sec(c.End), "-i", "file:"+in, "-map", "0:v?", "-map", "0:a?", "-c", "copy", "file:"+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cut the clip: %v: %s", err, b)
	}
	return nil
}

// ShortSum is the start of the checksum, as the page shows it.
func (x Rendition) ShortSum() string {
	if len(x.SHA256) > 12 {
		return x.SHA256[:12]
	}
	return x.SHA256
}
