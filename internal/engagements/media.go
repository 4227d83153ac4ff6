package engagements

import (
	"context"
	"net/url"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Vetting is where the vetting of an interview's journalist stands.
type Vetting string

const (
	VettingNone    Vetting = "not_vetted"
	VettingVetted  Vetting = "vetted"
	VettingRefused Vetting = "refused"
)

// Vettings lists the vetting states in display order.
var Vettings = []Vetting{VettingNone, VettingVetted, VettingRefused}

// Media is a media interview's journalist, vetting and ground rules.
type Media struct {
	Journalist     string    `json:"journalist"`
	Vetting        Vetting   `json:"vetting"`
	VettingNote    string    `json:"vetting_note"`
	VettedBy       string    `json:"vetted_by,omitempty"`
	VettedAt       time.Time `json:"vetted_at,omitzero"`
	MustNot        string    `json:"must_not"`
	PrePublication bool      `json:"prepublication_check"`
	EmbargoUntil   time.Time `json:"embargo_until,omitzero"`
}

// MediaInput is the ground rules form. Embargo is a local date and time in the
// engagement's time zone, or "".
type MediaInput struct {
	Journalist     string `json:"journalist"`
	MustNot        string `json:"must_not"`
	PrePublication bool   `json:"prepublication_check"`
	Embargo        string `json:"embargo"`
}

// VetInput records the vetting of the journalist.
type VetInput struct {
	Vetting Vetting `json:"vetting"`
	Note    string  `json:"note"`
}

// PermVet lets communications and safety officers record a journalist's vetting.
var PermVet = authz.Allow("engagements.vet_journalist", authz.CommsOfficer, authz.SafetyOfficer, authz.Supervisor)

var errNotInterview = &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.not_interview", Msg: "this is not a media interview"}

// Media returns the interview's details; the zero Media for other kinds.
func (s *Service) Media(ctx context.Context, tenantID, id string) (Media, error) {
	var m Media
	var vetting string
	var by *string
	var vettedAt, embargo *int64
	var pre int
	err := s.db.Reader().QueryRow(ctx, `SELECT journalist, vetting, vetting_note, vetted_by, vetted_at, must_not, prepublication, embargo_until
		FROM engagement_media WHERE tenant_id = ? AND engagement_id = ?`, tenantID, id).
		Scan(&m.Journalist, &vetting, &m.VettingNote, &by, &vettedAt, &m.MustNot, &pre, &embargo)
	if isNoRows(err) {
		return Media{Vetting: VettingNone}, nil
	}
	if err != nil {
		return m, errs.Wrap(err, "engagements: media")
	}
	m.Vetting, m.PrePublication = Vetting(vetting), pre != 0
	if by != nil {
		m.VettedBy = *by
	}
	if vettedAt != nil {
		m.VettedAt = store.FromMillis(*vettedAt)
	}
	if embargo != nil {
		m.EmbargoUntil = store.FromMillis(*embargo)
	}
	return m, nil
}

func (s *Service) interview(ctx context.Context, tx *store.Tx, tenantID, id string) (Engagement, error) {
	if err := lock(ctx, tx, tenantID, id); err != nil {
		return Engagement{}, err
	}
	e, err := load(ctx, tx, tenantID, id)
	if err != nil {
		return e, err
	}
	if e.Kind != KindMediaInterview {
		return e, errNotInterview
	}
	return e, nil
}

// SaveMedia sets an interview's journalist and ground rules. A new journalist must be
// vetted again.
func (s *Service) SaveMedia(ctx context.Context, p *authz.Principal, requestID, id string, in MediaInput) error {
	if err := check(PermMedia, p); err != nil {
		return err
	}
	journalist, err := cleanText("journalist", in.Journalist, false, maxVenue)
	if err != nil {
		return err
	}
	mustNot, err := cleanLong("must_not", in.MustNot, false, maxText)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		e, err := s.interview(ctx, tx, p.TenantID, id)
		if err != nil {
			return err
		}
		if e.Status == StatusCancelled {
			return errClosed
		}
		var embargo any
		if in.Embargo = strings.TrimSpace(in.Embargo); in.Embargo != "" {
			t, err := time.ParseInLocation(localLayout, in.Embargo, e.Location())
			if err != nil {
				return invalid("embargo", "engagements.error.embargo", "give the embargo as a date and time (YYYY-MM-DDTHH:MM)")
			}
			embargo = store.Millis(t)
		}
		old, err := s.Media(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		pre := 0
		if in.PrePublication {
			pre = 1
		}
		at := store.Millis(s.now())
		q := `UPDATE engagement_media SET journalist = ?, must_not = ?, prepublication = ?, embargo_until = ?, updated_by = ?, updated_at = ?`
		args := []any{journalist, mustNot, pre, embargo, p.UserID, at}
		if journalist != old.Journalist {
			q += `, vetting = ?, vetting_note = '', vetted_by = NULL, vetted_at = NULL`
			args = append(args, string(VettingNone))
		}
		if _, err := tx.Exec(ctx, q+` WHERE tenant_id = ? AND engagement_id = ?`, append(args, p.TenantID, id)...); err != nil {
			return errs.Wrap(err, "engagements: save media")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.media", id))
		return err
	})
}

// Vet records the vetting of the interview's journalist.
func (s *Service) Vet(ctx context.Context, p *authz.Principal, requestID, id string, in VetInput) error {
	if err := check(PermVet, p); err != nil {
		return err
	}
	if in.Vetting != VettingVetted && in.Vetting != VettingRefused {
		return invalid("vetting", "engagements.error.vetting", `vetting must be "vetted" or "refused"`)
	}
	note, err := cleanLong("note", in.Note, true, maxReason)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.interview(ctx, tx, p.TenantID, id); err != nil {
			return err
		}
		m, err := s.Media(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if m.Journalist == "" {
			return invalid("vetting", "engagements.error.no_journalist", "name the journalist first")
		}
		if _, err := tx.Exec(ctx, `UPDATE engagement_media SET vetting = ?, vetting_note = ?, vetted_by = ?, vetted_at = ? WHERE tenant_id = ? AND engagement_id = ?`,
			string(in.Vetting), note, p.UserID, store.Millis(s.now()), p.TenantID, id); err != nil {
			return errs.Wrap(err, "engagements: vet")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.vet_"+string(in.Vetting), id))
		return err
	})
}

// Coverage is one link to what was published about an engagement.
type Coverage struct {
	ID      string    `json:"id"`
	URL     string    `json:"url"`
	Title   string    `json:"title"`
	AddedBy string    `json:"added_by"`
	AddedAt time.Time `json:"added_at"`
}

// PermCoverage adds coverage links: who prepares interviews and who debriefs.
var PermCoverage = authz.Allow("engagements.coverage", authz.CommsOfficer, authz.CommunityLiaison, authz.Supervisor)

// cleanURL accepts absolute http(s) URLs only: a link shown on our pages must never be
// a javascript: or data: URL.
func cleanURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s) > 2000 {
		return "", invalid("url", "engagements.error.url", "give a web address starting with https://")
	}
	return u.String(), nil
}

// AddCoverage records a link to coverage of a held (or scheduled, for interviews
// published at once) engagement.
func (s *Service) AddCoverage(ctx context.Context, p *authz.Principal, requestID, id, link, title string) (Coverage, error) {
	if err := check(PermCoverage, p); err != nil {
		return Coverage{}, err
	}
	link, err := cleanURL(link)
	if err != nil {
		return Coverage{}, err
	}
	if title, err = cleanText("title", title, false, maxTitle); err != nil {
		return Coverage{}, err
	}
	cid, err := newID()
	if err != nil {
		return Coverage{}, err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lock(ctx, tx, p.TenantID, id); err != nil {
			return err
		}
		e, err := load(ctx, tx, p.TenantID, id)
		if err != nil {
			return err
		}
		if e.Status == StatusCancelled || e.Status == StatusProposed {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "engagements.error.coverage_status", Msg: "coverage is recorded once an engagement is scheduled or held"}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO engagement_coverage (id, tenant_id, engagement_id, url, title, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			cid, p.TenantID, id, link, title, p.UserID, store.Millis(now)); err != nil {
			return errs.Wrap(err, "engagements: add coverage")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "engagement.coverage_add", cid))
		return err
	})
	return Coverage{ID: cid, URL: link, Title: title, AddedBy: p.UserID, AddedAt: store.FromMillis(store.Millis(now))}, err
}

// CoverageOf lists an engagement's coverage links, oldest first.
func (s *Service) CoverageOf(ctx context.Context, tenantID, id string) ([]Coverage, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT id, url, title, added_by, added_at FROM engagement_coverage
		WHERE tenant_id = ? AND engagement_id = ? ORDER BY added_at, id`, tenantID, id)
	if err != nil {
		return nil, errs.Wrap(err, "engagements: coverage")
	}
	defer rows.Close()
	out := []Coverage{}
	for rows.Next() {
		var c Coverage
		var at int64
		if err := rows.Scan(&c.ID, &c.URL, &c.Title, &c.AddedBy, &at); err != nil {
			return nil, errs.Wrap(err, "engagements: coverage")
		}
		c.AddedAt = store.FromMillis(at)
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "engagements: coverage")
}
