package family

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/returnees/caseref"
)

// Mentor is one mentor assignment. A mentor is a user of the tenant (UserID set) or an
// external person, whose name is sealed and shown only through a reveal.
type Mentor struct {
	ID           string
	UserID       string // "" for an external mentor
	External     bool
	Organisation string
	From         string // YYYY-MM-DD
	Until        string // YYYY-MM-DD, "" while open-ended
	CreatedBy    string
	CreatedAt    time.Time
	Ended        bool
	EndedBy      string
	EndedAt      time.Time
	ReplacedBy   string // the assignment that ended this one, if any
	// Current is set when the assignment covers today.
	Current bool
}

// MentorInput assigns a mentor: UserID for a user of the tenant, or ExternalName (and
// optionally Organisation) for an external mentor.
type MentorInput struct {
	UserID       string
	ExternalName string
	Organisation string
	From         string // "" for today
	Until        string // planned end, optional
	Reason       string
}

// EndInput ends an assignment.
type EndInput struct {
	On     string // "" for today
	Reason string // optional
}

// mayMentor says whether a user of this role may mentor: not those who only
// administer, audit or evaluate the program.
func mayMentor(r authz.Role) bool {
	switch r {
	case authz.Auditor, authz.Admin, authz.Evaluator:
		return false
	}
	_, ok := authz.ParseRole(string(r))
	return ok
}

// Candidate is a user who may be assigned as a mentor.
type Candidate struct {
	ID   string     `json:"id"`
	Name string     `json:"name"`
	Role authz.Role `json:"role"`
}

// Candidates lists the tenant's active users who may mentor, by name.
func (s *Service) Candidates(ctx context.Context, tenantID string) ([]Candidate, error) {
	users, err := s.users.Users(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var out []Candidate
	for _, u := range users {
		if !u.Disabled && mayMentor(u.Role) {
			out = append(out, Candidate{ID: u.ID, Name: u.Name, Role: u.Role})
		}
	}
	return out, nil
}

var errMentorNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "family.error.mentor_not_found", Msg: "no such mentor assignment"}

// AssignMentor records a new mentor assignment. An open assignment is ended by it (on
// the new one's first day): a case has one mentor at a time.
func (s *Service) AssignMentor(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, in MentorInput) (Mentor, error) {
	if err := checkWritable(p, c); err != nil {
		return Mentor{}, err
	}
	today := s.today()
	in.UserID = strings.TrimSpace(in.UserID)
	var err error
	if in.ExternalName, err = text("external_name", "family.field.external_name", in.ExternalName, 0, maxName, false); err != nil {
		return Mentor{}, err
	}
	if in.Organisation, err = text("organisation", "family.field.organisation", in.Organisation, 0, maxOrganisation, false); err != nil {
		return Mentor{}, err
	}
	switch {
	case in.UserID != "" && in.ExternalName != "":
		return Mentor{}, &errs.Error{Kind: errs.Invalid, Field: "mentor_user_id", MsgKey: "family.error.mentor_one", Msg: "choose a user or name an external mentor, not both"}
	case in.UserID == "" && in.ExternalName == "":
		return Mentor{}, &errs.Error{Kind: errs.Invalid, Field: "mentor_user_id", MsgKey: "family.error.mentor_none", Msg: "choose a user or name an external mentor"}
	case in.UserID != "":
		u, err := s.users.User(ctx, c.TenantID, in.UserID)
		if errs.Is(err, errs.NotFound) || (err == nil && (u.Disabled || !mayMentor(u.Role))) {
			return Mentor{}, &errs.Error{Kind: errs.Invalid, Field: "mentor_user_id", MsgKey: "family.error.mentor_user", Msg: "this user cannot be a mentor"}
		}
		if err != nil {
			return Mentor{}, err
		}
	}
	if strings.TrimSpace(in.From) == "" {
		in.From = today.Format(time.DateOnly)
	} else if in.From, err = ParseDate("from", "family.field.from", in.From, Earliest, today.AddDate(1, 0, 0)); err != nil {
		return Mentor{}, err
	}
	if strings.TrimSpace(in.Until) != "" {
		if in.Until, err = ParseDate("until", "family.field.until", in.Until, mustDate(in.From), mustDate(in.From).AddDate(20, 0, 0)); err != nil {
			return Mentor{}, err
		}
	}
	if in.Reason, err = text("reason", "field.reason", in.Reason, 1, maxReason, true); err != nil {
		return Mentor{}, err
	}
	id, err := newID()
	if err != nil {
		return Mentor{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var openID, openFrom string
		err := tx.QueryRow(ctx, `SELECT id, from_on FROM mentor_assignments WHERE tenant_id = ? AND returnee_id = ? AND ended_at IS NULL`+tx.ForUpdate(),
			c.TenantID, c.ID).Scan(&openID, &openFrom)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return errs.Wrap(err, "family: open mentor")
		case in.From < openFrom:
			return &errs.Error{Kind: errs.Invalid, Field: "from", MsgKey: "family.error.mentor_overlap", Args: []any{openFrom}, Msg: "the new assignment must start on or after the current one's start, " + openFrom}
		default:
			if _, err := tx.Exec(ctx, `UPDATE mentor_assignments SET until_on = CASE WHEN until_on = '' OR until_on > ? THEN ? ELSE until_on END,
				ended_at = ?, ended_by = ?, replaced_by = ? WHERE tenant_id = ? AND id = ?`,
				in.From, in.From, store.Millis(s.now()), p.UserID, id, c.TenantID, openID); err != nil {
				return errs.Wrap(err, "family: end open mentor")
			}
			if _, err := s.audit.Append(ctx, tx, entry(p, requestID, "family.mentor.end", openID)); err != nil {
				return err
			}
		}
		name, err := s.seal(ctx, tx, c, "mentor_assignments", "external_name", id, in.ExternalName)
		if err != nil {
			return err
		}
		reason, err := s.seal(ctx, tx, c, "mentor_assignments", "reason", id, in.Reason)
		if err != nil {
			return err
		}
		var user any
		if in.UserID != "" {
			user = in.UserID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO mentor_assignments (id, tenant_id, returnee_id, mentor_user_id, external_name, organisation,
			from_on, until_on, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, c.TenantID, c.ID, user, name, in.Organisation, in.From, in.Until, reason, p.UserID, store.Millis(s.now())); err != nil {
			if store.IsUniqueViolation(err) {
				return errStale // another assignment was made at the same moment
			}
			return errs.Wrap(err, "family: insert mentor")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "family.mentor.assign", id))
		return err
	})
	if err != nil {
		return Mentor{}, err
	}
	return s.mentor(ctx, c, id)
}

// EndMentor ends an open assignment on in.On (default today), with an optional
// reason (sealed).
func (s *Service) EndMentor(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, id string, in EndInput) error {
	if err := checkWritable(p, c); err != nil {
		return err
	}
	var err error
	if in.Reason, err = text("reason", "field.reason", in.Reason, 0, maxReason, true); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var from string
		var ended sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT from_on, ended_at FROM mentor_assignments WHERE tenant_id = ? AND returnee_id = ? AND id = ?`+tx.ForUpdate(),
			c.TenantID, c.ID, id).Scan(&from, &ended)
		if errors.Is(err, sql.ErrNoRows) {
			return errMentorNotFound
		}
		if err != nil {
			return errs.Wrap(err, "family: read mentor")
		}
		if ended.Valid {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "family.error.mentor_ended", Msg: "this assignment has already ended"}
		}
		on := s.today().Format(time.DateOnly)
		if strings.TrimSpace(in.On) != "" {
			if on, err = ParseDate("until", "family.field.ended_on", in.On, mustDate(from), s.today()); err != nil {
				return err
			}
		} else if on < from {
			on = from // an assignment that had not started yet ends on its first day
		}
		reason, err := s.seal(ctx, tx, c, "mentor_assignments", "end_reason", id, in.Reason)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE mentor_assignments SET until_on = ?, ended_at = ?, ended_by = ?, end_reason = ? WHERE tenant_id = ? AND id = ?`,
			on, store.Millis(s.now()), p.UserID, reason, c.TenantID, id); err != nil {
			return errs.Wrap(err, "family: end mentor")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "family.mentor.end", id))
		return err
	})
}

const selectMentor = `SELECT id, mentor_user_id, external_name IS NOT NULL, organisation, from_on, until_on, created_by, created_at,
	ended_at, ended_by, replaced_by FROM mentor_assignments`

func (s *Service) scanMentor(row interface{ Scan(...any) error }) (Mentor, error) {
	var m Mentor
	var user, endedBy, replaced sql.NullString
	var created int64
	var ended sql.NullInt64
	if err := row.Scan(&m.ID, &user, &m.External, &m.Organisation, &m.From, &m.Until, &m.CreatedBy, &created,
		&ended, &endedBy, &replaced); err != nil {
		return m, err
	}
	m.UserID, m.EndedBy, m.ReplacedBy = user.String, endedBy.String, replaced.String
	m.CreatedAt = store.FromMillis(created)
	if ended.Valid {
		m.Ended, m.EndedAt = true, store.FromMillis(ended.Int64)
	}
	today := s.today().Format(time.DateOnly)
	m.Current = !m.Ended && m.From <= today && (m.Until == "" || m.Until >= today)
	return m, nil
}

func (s *Service) mentor(ctx context.Context, c caseref.Case, id string) (Mentor, error) {
	m, err := s.scanMentor(s.db.Reader().QueryRow(ctx, selectMentor+` WHERE tenant_id = ? AND returnee_id = ? AND id = ?`, c.TenantID, c.ID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, errMentorNotFound
	}
	return m, errs.Wrap(err, "family: mentor")
}

// Mentors lists the case's mentor assignments, latest first; the one covering today
// has Current set.
func (s *Service) Mentors(ctx context.Context, p *authz.Principal, c caseref.Case) ([]Mentor, error) {
	if err := checkCase(p, c); err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().Query(ctx, selectMentor+` WHERE tenant_id = ? AND returnee_id = ? ORDER BY from_on DESC, created_at DESC`, c.TenantID, c.ID)
	if err != nil {
		return nil, errs.Wrap(err, "family: mentors")
	}
	defer rows.Close()
	var out []Mentor
	for rows.Next() {
		m, err := s.scanMentor(rows)
		if err != nil {
			return nil, errs.Wrap(err, "family: scan mentor")
		}
		out = append(out, m)
	}
	return out, errs.Wrap(rows.Err(), "family: mentors")
}

// RevealMentor opens an external mentor's sealed name for p, who gave a written
// reason; the reveal is recorded and audited before the name is returned.
func (s *Service) RevealMentor(ctx context.Context, p *authz.Principal, requestID string, c caseref.Case, id, reason string) (string, error) {
	if err := checkCase(p, c); err != nil {
		return "", err
	}
	if c.Erased {
		return "", &errs.Error{Kind: errs.Conflict, MsgKey: "error.returnee_erased", Msg: "this returnee's identity was erased and can never be read again"}
	}
	reason, err := checkReason(reason)
	if err != nil {
		return "", err
	}
	var name string
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var sealed []byte
		err := tx.QueryRow(ctx, `SELECT external_name FROM mentor_assignments WHERE tenant_id = ? AND returnee_id = ? AND id = ?`, c.TenantID, c.ID, id).Scan(&sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return errMentorNotFound
		}
		if err != nil {
			return errs.Wrap(err, "family: read mentor")
		}
		if sealed == nil {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "family.error.mentor_not_external", Msg: "this mentor is a user: their name is not sealed"}
		}
		if err := s.recordReveal(ctx, tx, p, requestID, c, "mentor", id, reason); err != nil {
			return err
		}
		name, err = s.open(ctx, tx, c, "mentor_assignments", "external_name", id, sealed)
		return err
	})
	return name, err
}
