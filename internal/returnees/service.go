package returnees

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
	"inoculate/internal/returnees/caseref"
)

// Service is the returnees capability's API for handlers and other capabilities.
type Service struct {
	db      *store.DB
	vault   *vault.Vault
	audit   *audit.Log
	now     func() time.Time
	onErase []func(ctx context.Context, tx *store.Tx, tenantID, returneeID string) error
}

// NewService returns the service.
func NewService(db *store.DB, v *vault.Vault, a *audit.Log) *Service {
	return &Service{db: db, vault: v, audit: a, now: time.Now}
}

// SetClock replaces the service's clock, for tests of expiry.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// identityColumns are the sealed columns, in the order of Identity's fields.
var identityColumns = []string{"legal_name", "birth_date", "phone", "address"}

func fields(id *Identity) []*string {
	return []*string{&id.LegalName, &id.BirthDate, &id.Phone, &id.Address}
}

func ref(tenantID, id, column string) vault.FieldRef {
	return vault.FieldRef{TenantID: tenantID, Subject: id, Table: "returnees", Column: column, Row: id}
}

func entry(p *authz.Principal, requestID, action, object, result string) audit.Entry {
	return audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: string(p.Role), Action: action,
		Object: object, Result: result, RequestID: requestID}
}

// Create records a new returnee: alias in clear, each identity field sealed with the
// returnee's own data key, and the audit record, all in one transaction.
func (s *Service) Create(ctx context.Context, p *authz.Principal, requestID string, in NewReturnee) (Returnee, error) {
	in, err := in.normalize(s.now())
	if err != nil {
		return Returnee{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Returnee{}, errs.Wrap(err, "returnees: new id")
	}
	r := Returnee{ID: id.String(), TenantID: p.TenantID, Alias: in.Alias, CreatedBy: p.UserID, CreatedAt: s.now().UTC().Truncate(time.Millisecond),
		HomeCommunity: in.HomeCommunity, Languages: in.Languages, ReturnedOn: in.ReturnedOn, CaseWorkerID: in.CaseWorkerID, TeamID: in.TeamID, Stage: StageIdentified}
	if r.CaseWorkerID == "" && p.Role == authz.CaseWorker {
		r.CaseWorkerID = p.UserID
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := checkAssignment(ctx, tx, r.TenantID, r.CaseWorkerID, r.TeamID); err != nil {
			return err
		}
		sealed := make([][]byte, len(identityColumns))
		for i, f := range fields(&in.Identity) {
			if *f == "" {
				continue
			}
			ct, err := s.vault.Seal(ctx, tx, ref(r.TenantID, r.ID, identityColumns[i]), []byte(*f))
			if err != nil {
				return errs.Wrap(err, "returnees: seal "+identityColumns[i])
			}
			sealed[i] = ct
		}
		_, err := tx.Exec(ctx, `INSERT INTO returnees (id, tenant_id, alias, legal_name, birth_date, phone, address, created_by, created_at,
			home_community, languages, returned_on, case_worker_id, team_id, stage, stage_on)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.TenantID, r.Alias, sealed[0], sealed[1], sealed[2], sealed[3], r.CreatedBy, store.Millis(r.CreatedAt),
			r.HomeCommunity, strings.Join(r.Languages, ","), r.ReturnedOn, nullable(r.CaseWorkerID), nullable(r.TeamID), r.Stage, r.CreatedAt.Format(time.DateOnly))
		if store.IsUniqueViolation(err) {
			return &errs.Error{Kind: errs.Conflict, Field: "alias", MsgKey: "error.alias_taken", Msg: "another returnee already has this alias"}
		}
		if err != nil {
			return errs.Wrap(err, "returnees: insert")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "returnee.create", r.ID, "ok"))
		return err
	})
	if err != nil {
		return Returnee{}, err
	}
	return r, nil
}

const selectReturnee = `SELECT id, tenant_id, alias, created_by, created_at, erased_at,
	home_community, languages, returned_on, case_worker_id, team_id, stage, stage_on FROM returnees`

func scanReturnee(row interface{ Scan(...any) error }) (Returnee, error) {
	var r Returnee
	var created int64
	var erased sql.NullInt64
	var langs string
	var worker, team sql.NullString
	if err := row.Scan(&r.ID, &r.TenantID, &r.Alias, &r.CreatedBy, &created, &erased,
		&r.HomeCommunity, &langs, &r.ReturnedOn, &worker, &team, &r.Stage, &r.StageOn); err != nil {
		return r, err
	}
	r.CreatedAt = store.FromMillis(created)
	r.Erased = erased.Valid
	r.Languages = splitList(langs)
	r.CaseWorkerID, r.TeamID = worker.String, team.String
	return r, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Open implements caseref.Cases: the case if p may see it, else not found.
func (s *Service) Open(ctx context.Context, p *authz.Principal, id string) (caseref.Case, error) {
	r, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return caseref.Case{}, err
	}
	if !s.mayView(ctx, p, r) {
		return caseref.Case{}, errNotFound
	}
	return caseref.Case{ID: r.ID, TenantID: r.TenantID, Alias: r.Alias, Erased: r.Erased, CaseWorkerID: r.CaseWorkerID, TeamID: r.TeamID}, nil
}

var errNotFound = &errs.Error{Kind: errs.NotFound, MsgKey: "error.returnee_not_found", Msg: "no such returnee"}

// mayView says whether p sees case r: case workers see their team's caseload only
// (cases of a team they belong to, or assigned to them); every other role that
// reaches a case page sees the tenant's.
func (s *Service) mayView(ctx context.Context, p *authz.Principal, r Returnee) bool {
	if p.Role != authz.CaseWorker {
		return true
	}
	if r.CaseWorkerID == p.UserID || r.CreatedBy == p.UserID {
		return true
	}
	if r.TeamID == "" {
		return false
	}
	var n int
	err := s.db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM team_members WHERE tenant_id = ? AND team_id = ? AND user_id = ?`, p.TenantID, r.TeamID, p.UserID).Scan(&n)
	return err == nil && n > 0
}

// List returns the tenant's returnees by alias.
func (s *Service) List(ctx context.Context, tenantID string) ([]Returnee, error) {
	rows, err := s.db.Reader().Query(ctx, selectReturnee+` WHERE tenant_id = ? ORDER BY alias`, tenantID)
	if err != nil {
		return nil, errs.Wrap(err, "returnees: list")
	}
	defer rows.Close()
	var out []Returnee
	for rows.Next() {
		r, err := scanReturnee(rows)
		if err != nil {
			return nil, errs.Wrap(err, "returnees: scan")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "returnees: list")
}

// Count returns how many returnees the tenant has (erased ones included).
func (s *Service) Count(ctx context.Context, tenantID string) (int, error) {
	var n int
	err := s.db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM returnees WHERE tenant_id = ?`, tenantID).Scan(&n)
	return n, errs.Wrap(err, "returnees: count")
}

// Get returns one returnee of the tenant; another tenant's id is simply not found.
func (s *Service) Get(ctx context.Context, tenantID, id string) (Returnee, error) {
	r, err := scanReturnee(s.db.Reader().QueryRow(ctx, selectReturnee+` WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, &errs.Error{Kind: errs.NotFound, MsgKey: "error.returnee_not_found", Msg: "no such returnee"}
	}
	return r, errs.Wrap(err, "returnees: get")
}

// Reveal opens the identity of a returnee for p, who gave a written reason. The
// reason (sealed) and the audit record are committed before the identity is
// returned: there is no read of an identity that the log does not hold.
func (s *Service) Reveal(ctx context.Context, p *authz.Principal, requestID, id, reason string) (Identity, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Identity{}, err
	}
	var idn Identity
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var sealed [4][]byte
		var erased sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT legal_name, birth_date, phone, address, erased_at FROM returnees WHERE tenant_id = ? AND id = ?`,
			p.TenantID, id).Scan(&sealed[0], &sealed[1], &sealed[2], &sealed[3], &erased)
		if errors.Is(err, sql.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return errs.Wrap(err, "returnees: read sealed identity")
		}
		r, err := scanReturnee(tx.QueryRow(ctx, selectReturnee+` WHERE tenant_id = ? AND id = ?`, p.TenantID, id))
		if err != nil {
			return errs.Wrap(err, "returnees: read case")
		}
		if err := s.mayReveal(ctx, tx, p, r); err != nil {
			return err
		}
		if erased.Valid {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "error.returnee_erased", Msg: "this returnee's identity was erased and can never be read again"}
		}
		seq, err := s.audit.Append(ctx, tx, entry(p, requestID, "returnee.reveal", id, "ok"))
		if err != nil {
			return err
		}
		rid, err := uuid.NewV7()
		if err != nil {
			return errs.Wrap(err, "returnees: new id")
		}
		sealedReason, err := s.vault.Seal(ctx, tx, vault.FieldRef{TenantID: p.TenantID, Subject: id, Table: "identity_reveals", Column: "reason", Row: rid.String()}, []byte(reason))
		if err != nil {
			return errs.Wrap(err, "returnees: seal reason")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO identity_reveals (id, tenant_id, returnee_id, user_id, reason, audit_seq, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			rid.String(), p.TenantID, id, p.UserID, sealedReason, seq, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "returnees: record reveal")
		}
		for i, f := range fields(&idn) {
			if sealed[i] == nil {
				continue
			}
			pt, err := s.vault.Open(ctx, tx, ref(p.TenantID, id, identityColumns[i]), sealed[i])
			if err != nil {
				return errs.Wrap(err, "returnees: open "+identityColumns[i])
			}
			*f = string(pt)
		}
		return nil
	})
	if errs.Is(err, errs.Forbidden) {
		// A refused reveal is itself worth knowing about: it goes into the log too.
		if aerr := s.audit.Record(ctx, entry(p, requestID, "returnee.reveal", id, "denied")); aerr != nil {
			return Identity{}, aerr
		}
	}
	if err != nil {
		return Identity{}, err
	}
	return idn, nil
}

// Reveals lists who revealed the identity and when (not why: the reasons stay sealed).
func (s *Service) Reveals(ctx context.Context, tenantID, id string) ([]Reveal, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT user_id, at FROM identity_reveals WHERE tenant_id = ? AND returnee_id = ? ORDER BY at DESC LIMIT 50`, tenantID, id)
	if err != nil {
		return nil, errs.Wrap(err, "returnees: reveals")
	}
	defer rows.Close()
	var out []Reveal
	for rows.Next() {
		var rv Reveal
		var at int64
		if err := rows.Scan(&rv.UserID, &at); err != nil {
			return nil, errs.Wrap(err, "returnees: scan reveal")
		}
		rv.At = store.FromMillis(at)
		out = append(out, rv)
	}
	return out, errs.Wrap(rows.Err(), "returnees: reveals")
}

// Erase destroys the returnee's data key (crypto-shredding: every copy of every
// sealed field, backups included, becomes unreadable) and clears the sealed columns.
// The alias stays, marked erased, so the program's records still add up. Pages and
// the API reach it only through the two-person ApproveErasure.
func (s *Service) Erase(ctx context.Context, p *authz.Principal, requestID, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error { return s.erase(ctx, tx, p, requestID, id) })
}

func (s *Service) erase(ctx context.Context, tx *store.Tx, p *authz.Principal, requestID, id string) error {
	res, err := tx.Exec(ctx, `UPDATE returnees SET legal_name = NULL, birth_date = NULL, phone = NULL, address = NULL, erased_at = ?
		WHERE tenant_id = ? AND id = ? AND erased_at IS NULL`, store.Millis(s.now()), p.TenantID, id)
	if err != nil {
		return errs.Wrap(err, "returnees: erase")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Get(ctx, p.TenantID, id); err != nil {
			return err
		}
		return &errs.Error{Kind: errs.Conflict, MsgKey: "error.returnee_erased", Msg: "already erased"}
	}
	// Sealed free text about the person goes too: the key is destroyed below, and
	// empty columns leave nothing for anyone who later finds that key.
	for _, q := range []string{
		`UPDATE identity_reveals SET reason = ? WHERE tenant_id = ? AND returnee_id = ?`,
		`UPDATE pipeline_moves SET reason = ? WHERE tenant_id = ? AND returnee_id = ?`,
		`UPDATE identity_access_requests SET reason = ? WHERE tenant_id = ? AND returnee_id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, []byte{}, p.TenantID, id); err != nil {
			return errs.Wrap(err, "returnees: clear sealed text")
		}
	}
	for _, hook := range s.onErase {
		if err := hook(ctx, tx, p.TenantID, id); err != nil {
			return errs.Wrap(err, "returnees: erase the case's parts")
		}
	}
	if err := s.vault.Shred(ctx, tx, p.TenantID, id); err != nil {
		return errs.Wrap(err, "returnees: shred data key")
	}
	_, err = s.audit.Append(ctx, tx, entry(p, requestID, "returnee.erase", id, "ok"))
	return err
}

// OnErase registers a part of the case (screening, consent, family…) that clears its
// own sealed columns in the erasure's transaction, before the key is destroyed.
func (s *Service) OnErase(fn func(ctx context.Context, tx *store.Tx, tenantID, returneeID string) error) {
	s.onErase = append(s.onErase, fn)
}
