package testimonies

import (
	"context"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Clip is a time range of a testimony, the unit that is subtitled, protected and
// published.
type Clip struct {
	ID    string        `json:"id"`
	Title string        `json:"title"`
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
}

// ParseTime reads a time in a recording: "75", "1:15", "01:02:03" or "1:15.5".
func ParseTime(s string) (time.Duration, bool) {
	var parts [3]float64
	n := 0
	cur, frac, seenDot, seenDigit := 0.0, 0.0, false, false
	div := 1.0
	flush := func() bool {
		if !seenDigit || n >= 3 {
			return false
		}
		parts[n] = cur + frac
		n++
		cur, frac, seenDot, seenDigit, div = 0, 0, false, false, 1
		return true
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			seenDigit = true
			if seenDot {
				div *= 10
				frac += float64(r-'0') / div
			} else {
				cur = cur*10 + float64(r-'0')
				if cur > 1e6 {
					return 0, false
				}
			}
		case r == '.' && !seenDot:
			seenDot = true
		case r == ':' && !seenDot:
			if !flush() {
				return 0, false
			}
		case r == ' ':
		default:
			return 0, false
		}
	}
	if !flush() {
		return 0, false
	}
	secs := 0.0
	for i := 0; i < n; i++ {
		if i > 0 && parts[i] >= 60 {
			return 0, false
		}
		secs = secs*60 + parts[i]
	}
	if secs > 100*3600 {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

// AddClip records a clip of the testimony.
func (s *Service) AddClip(ctx context.Context, p *authz.Principal, requestID, id, title string, start, end time.Duration) (Clip, error) {
	if err := check(PermWrite, p); err != nil {
		return Clip{}, err
	}
	title, err := cleanTitle(title)
	if err != nil {
		return Clip{}, err
	}
	if start < 0 || end <= start {
		return Clip{}, invalid("end", "testimonies.error.range", "the clip ends after it starts")
	}
	if _, err := s.Get(ctx, p.TenantID, id); err != nil {
		return Clip{}, err
	}
	cid, err := newID()
	if err != nil {
		return Clip{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO testimony_clips (id, tenant_id, testimony_id, title, start_ms, end_ms, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			cid, p.TenantID, id, title, start.Milliseconds(), end.Milliseconds(), p.UserID, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "testimonies: add clip")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "testimony.clip_add", cid))
		return err
	})
	return Clip{ID: cid, Title: title, Start: start.Truncate(time.Millisecond), End: end.Truncate(time.Millisecond)}, err
}

// Clips lists the testimony's clips by start.
func (s *Service) Clips(ctx context.Context, tenantID, id string) ([]Clip, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT id, title, start_ms, end_ms FROM testimony_clips WHERE tenant_id = ? AND testimony_id = ? ORDER BY start_ms, id`, tenantID, id)
	if err != nil {
		return nil, errs.Wrap(err, "testimonies: clips")
	}
	defer rows.Close()
	out := []Clip{}
	for rows.Next() {
		var c Clip
		var a, b int64
		if err := rows.Scan(&c.ID, &c.Title, &a, &b); err != nil {
			return nil, errs.Wrap(err, "testimonies: clips")
		}
		c.Start, c.End = time.Duration(a)*time.Millisecond, time.Duration(b)*time.Millisecond
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "testimonies: clips")
}
