package family

import (
	"context"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/auth"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees/caseref"
)

// Directory is what the service needs to know about the tenant's users: who may
// mentor, and their names. *auth.Service implements it.
type Directory interface {
	User(ctx context.Context, tenantID, userID string) (auth.User, error)
	Users(ctx context.Context, tenantID string) ([]auth.User, error)
}

// Service is the family capability's API for its handlers and other capabilities.
// Methods that act for a person take the case as opened by caseref.Cases (which
// enforces tenant and caseload); every query still filters by tenant and returnee.
type Service struct {
	db    *store.DB
	vault *vault.Vault
	audit *audit.Log
	users Directory
	now   func() time.Time
}

// NewService returns the service.
func NewService(db *store.DB, v *vault.Vault, a *audit.Log, users Directory) *Service {
	return &Service{db: db, vault: v, audit: a, users: users, now: time.Now}
}

// SetClock replaces the clock, for tests of dates and overdue flags.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// today is the current calendar day, UTC.
func (s *Service) today() time.Time { return day(s.now()) }

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", errs.Wrap(err, "family: new id")
	}
	return id.String(), nil
}

func entry(p *authz.Principal, requestID, action, object string) audit.Entry {
	return audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role), Action: action,
		Object: object, Result: "ok", RequestID: requestID}
}

var errCaseNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "error.returnee_not_found", Msg: "no such returnee"}

// checkCase refuses a case that is not the principal's tenant's (a wiring fault or a
// forged Case), as not found, so that nothing crosses tenants even then.
func checkCase(p *authz.Principal, c caseref.Case) error {
	if p == nil || c.ID == "" || c.TenantID == "" || c.TenantID != p.TenantID {
		return errCaseNotFound
	}
	return nil
}

// checkWritable is checkCase for changes: an erased person's case takes no new
// sealed data (the vault would refuse it anyway; this says why).
func checkWritable(p *authz.Principal, c caseref.Case) error {
	if err := checkCase(p, c); err != nil {
		return err
	}
	if c.Erased {
		return &errs.Error{Kind: errs.Conflict, MsgKey: "error.returnee_erased", Msg: "this returnee's identity was erased"}
	}
	return nil
}

func (s *Service) seal(ctx context.Context, tx *store.Tx, c caseref.Case, table, column, row, value string) ([]byte, error) {
	if value == "" {
		return nil, nil
	}
	ct, err := s.vault.Seal(ctx, tx, vault.FieldRef{TenantID: c.TenantID, Subject: c.ID, Table: table, Column: column, Row: row}, []byte(value))
	if err != nil {
		return nil, errs.Wrap(err, "family: seal "+table+"."+column)
	}
	return ct, nil
}

func (s *Service) open(ctx context.Context, q store.Querier, c caseref.Case, table, column, row string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	pt, err := s.vault.Open(ctx, q, vault.FieldRef{TenantID: c.TenantID, Subject: c.ID, Table: table, Column: column, Row: row}, sealed)
	if err != nil {
		return "", errs.Wrap(err, "family: open "+table+"."+column)
	}
	return string(pt), nil
}

// recordReveal writes the audit record and the sealed reason of a reveal, in tx,
// before anything is opened: there is no read the log does not hold.
func (s *Service) recordReveal(ctx context.Context, tx *store.Tx, p *authz.Principal, requestID string, c caseref.Case, kind, objectID, reason string) error {
	seq, err := s.audit.Append(ctx, tx, entry(p, requestID, "family."+kind+".reveal", objectID))
	if err != nil {
		return err
	}
	id, err := newID()
	if err != nil {
		return err
	}
	sealed, err := s.seal(ctx, tx, c, "family_reveals", "reason", id, reason)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO family_reveals (id, tenant_id, returnee_id, object_kind, object_id, user_id, reason, audit_seq, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, c.TenantID, c.ID, kind, objectID, p.UserID, sealed, seq, store.Millis(s.now()))
	return errs.Wrap(err, "family: record reveal")
}

// Reveal is one recorded reveal of a family record (who and when, never why).
type Reveal struct {
	Kind     string    `json:"kind"` // relative | mentor
	ObjectID string    `json:"object_id"`
	UserID   string    `json:"user_id"`
	At       time.Time `json:"at"`
}

// Reveals lists the latest reveals of the case's family records.
func (s *Service) Reveals(ctx context.Context, p *authz.Principal, c caseref.Case) ([]Reveal, error) {
	if err := checkCase(p, c); err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().Query(ctx, `SELECT object_kind, object_id, user_id, at FROM family_reveals
		WHERE tenant_id = ? AND returnee_id = ? ORDER BY at DESC LIMIT 50`, c.TenantID, c.ID)
	if err != nil {
		return nil, errs.Wrap(err, "family: reveals")
	}
	defer rows.Close()
	var out []Reveal
	for rows.Next() {
		var r Reveal
		var at int64
		if err := rows.Scan(&r.Kind, &r.ObjectID, &r.UserID, &at); err != nil {
			return nil, errs.Wrap(err, "family: scan reveal")
		}
		r.At = store.FromMillis(at)
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "family: reveals")
}

// EraseCase is the family part of a returnee's erasure, for returnees.Service.OnErase:
// in the erasure's transaction, before the data key is destroyed, it empties every
// sealed column of the case (the key's destruction makes them unreadable anyway; empty
// columns leave nothing for anyone who later finds that key) and the relatives'
// communities, which with relation and stance could still point at the person. The
// rest (relations, stances, milestones' dates and statuses, who mentored) stays, so
// the program's records still add up.
func (s *Service) EraseCase(ctx context.Context, tx *store.Tx, tenantID, returneeID string) error {
	gone := []byte{} // for the NOT NULL sealed columns
	for _, u := range []struct {
		q    string
		args []any
	}{
		{`UPDATE relative_versions SET name = ?, community_role = NULL, contact = NULL, notes = NULL, community = '', community_key = ''
			WHERE tenant_id = ? AND returnee_id = ?`, []any{gone}},
		{`UPDATE relatives SET removed_reason = NULL WHERE tenant_id = ? AND returnee_id = ?`, nil},
		{`UPDATE family_reveals SET reason = ? WHERE tenant_id = ? AND returnee_id = ?`, []any{gone}},
		{`UPDATE mentor_assignments SET reason = ?, end_reason = NULL WHERE tenant_id = ? AND returnee_id = ?`, []any{gone}},
		{`UPDATE mentor_assignments SET external_name = ? WHERE tenant_id = ? AND returnee_id = ? AND external_name IS NOT NULL`, []any{gone}},
		{`UPDATE milestones SET note = NULL WHERE tenant_id = ? AND returnee_id = ?`, nil},
	} {
		args := append(u.args, tenantID, returneeID)
		if _, err := tx.Exec(ctx, u.q, args...); err != nil {
			return errs.Wrap(err, "family: erase")
		}
	}
	return nil
}
