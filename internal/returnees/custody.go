package returnees

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

// Roles that reveal an identity directly; every other role that may reveal needs an
// access grant from a custodian first.
var directRevealers = []authz.Role{authz.CaseWorker, authz.Supervisor, authz.LegalOfficer, authz.SafetyOfficer}

// Custodians approve identity access and erasure.
var custodians = []authz.Role{authz.Supervisor, authz.Admin}

// DefaultGrant is how long an approved access lasts; MaxGrant caps what a custodian may give.
const (
	DefaultGrant = time.Hour
	MaxGrant     = 8 * time.Hour
)

// AccessRequest is a request to see an identity from outside the case team.
type AccessRequest struct {
	ID          string    `json:"id"`
	ReturneeID  string    `json:"returnee_id"`
	Alias       string    `json:"alias"`
	RequestedBy string    `json:"requested_by"`
	Reason      string    `json:"reason,omitempty"` // opened for custodians and the requester
	RequestedAt time.Time `json:"requested_at"`
	Status      string    `json:"status"` // pending, approved, refused
	DecidedBy   string    `json:"decided_by,omitempty"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
}

// Active reports whether the request is an approval still in force at t.
func (r AccessRequest) Active(t time.Time) bool {
	return r.Status == "approved" && t.Before(r.ExpiresAt)
}

// RequestAccess records p's request, with a reason, to see the identity of case id.
func (s *Service) RequestAccess(ctx context.Context, p *authz.Principal, requestID, id, reason string) (AccessRequest, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return AccessRequest{}, err
	}
	r, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return AccessRequest{}, err
	}
	if r.Erased {
		return AccessRequest{}, &errs.Error{Kind: errs.Conflict, MsgKey: "error.returnee_erased", Msg: "this identity was erased"}
	}
	rid, _ := uuid.NewV7()
	ar := AccessRequest{ID: rid.String(), ReturneeID: id, Alias: r.Alias, RequestedBy: p.UserID, Reason: reason, RequestedAt: s.now().UTC(), Status: "pending"}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		sealed, err := s.vault.Seal(ctx, tx, vault.FieldRef{TenantID: p.TenantID, Subject: id, Table: "identity_access_requests", Column: "reason", Row: ar.ID}, []byte(reason))
		if err != nil {
			return errs.Wrap(err, "returnees: seal access reason")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO identity_access_requests (id, tenant_id, returnee_id, requested_by, reason, requested_at, status) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			ar.ID, p.TenantID, id, p.UserID, sealed, store.Millis(ar.RequestedAt), ar.Status); err != nil {
			return errs.Wrap(err, "returnees: record access request")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "identity_access.request", id, "ok"))
		return err
	})
	return ar, err
}

// DecideAccess approves (for d, DefaultGrant when 0) or refuses a pending request. A
// custodian never decides their own request.
func (s *Service) DecideAccess(ctx context.Context, p *authz.Principal, requestID, accessID string, approve bool, d time.Duration) error {
	if !slices.Contains(custodians, p.Role) {
		return &errs.Error{Kind: errs.Forbidden, MsgKey: "error.forbidden", Msg: "only a custodian decides"}
	}
	if d == 0 {
		d = DefaultGrant
	}
	if d < 0 || d > MaxGrant {
		return &errs.Error{Kind: errs.Invalid, Field: "hours", MsgKey: "error.grant_hours", Args: []any{int(MaxGrant.Hours())}, Msg: "access lasts at most 8 hours"}
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var returnee, by, status string
		err := tx.QueryRow(ctx, `SELECT returnee_id, requested_by, status FROM identity_access_requests WHERE tenant_id = ? AND id = ?`+tx.ForUpdate(), p.TenantID, accessID).Scan(&returnee, &by, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return &errs.Error{Kind: errs.NotFound, MsgKey: "error.not_found", Msg: "no such request"}
		}
		if err != nil {
			return errs.Wrap(err, "returnees: read access request")
		}
		if by == p.UserID {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "error.own_request", Msg: "another custodian must decide your own request"}
		}
		if status != "pending" {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "error.already_decided", Msg: "this request was already decided"}
		}
		now := s.now()
		status, action := "refused", "identity_access.refuse"
		var expires any
		if approve {
			status, action, expires = "approved", "identity_access.approve", store.Millis(now.Add(d))
		}
		if _, err := tx.Exec(ctx, `UPDATE identity_access_requests SET status = ?, decided_by = ?, decided_at = ?, expires_at = ? WHERE tenant_id = ? AND id = ?`,
			status, p.UserID, store.Millis(now), expires, p.TenantID, accessID); err != nil {
			return errs.Wrap(err, "returnees: decide access")
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, action, returnee, "ok"))
		return err
	})
}

// AccessRequests lists requests of the tenant, newest first: all of them for
// custodians, their own for anyone else; reasons opened for those who may read them.
func (s *Service) AccessRequests(ctx context.Context, p *authz.Principal, returneeID string) ([]AccessRequest, error) {
	q := `SELECT a.id, a.returnee_id, r.alias, a.requested_by, a.reason, a.requested_at, a.status, a.decided_by, a.expires_at, r.erased_at
		FROM identity_access_requests a JOIN returnees r ON r.id = a.returnee_id WHERE a.tenant_id = ?`
	args := []any{p.TenantID}
	if !slices.Contains(custodians, p.Role) {
		q += ` AND a.requested_by = ?`
		args = append(args, p.UserID)
	}
	if returneeID != "" {
		q += ` AND a.returnee_id = ?`
		args = append(args, returneeID)
	}
	rows, err := s.db.Reader().Query(ctx, q+` ORDER BY a.requested_at DESC LIMIT 200`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "returnees: access requests")
	}
	defer rows.Close()
	var out []AccessRequest
	for rows.Next() {
		var a AccessRequest
		var sealed []byte
		var at int64
		var decided sql.NullString
		var expires, erased sql.NullInt64
		if err := rows.Scan(&a.ID, &a.ReturneeID, &a.Alias, &a.RequestedBy, &sealed, &at, &a.Status, &decided, &expires, &erased); err != nil {
			return nil, errs.Wrap(err, "returnees: scan access request")
		}
		a.RequestedAt, a.DecidedBy = store.FromMillis(at), decided.String
		if expires.Valid {
			a.ExpiresAt = store.FromMillis(expires.Int64)
		}
		if !erased.Valid {
			pt, err := s.vault.Open(ctx, s.db.Reader(), vault.FieldRef{TenantID: p.TenantID, Subject: a.ReturneeID, Table: "identity_access_requests", Column: "reason", Row: a.ID}, sealed)
			if err != nil && !errors.Is(err, vault.ErrShredded) {
				return nil, errs.Wrap(err, "returnees: open access reason")
			}
			a.Reason = string(pt)
		}
		out = append(out, a)
	}
	return out, errs.Wrap(rows.Err(), "returnees: access requests")
}

// hasGrant reports whether p holds an approved, unexpired access to case id.
func (s *Service) hasGrant(ctx context.Context, q store.Querier, p *authz.Principal, id string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM identity_access_requests WHERE tenant_id = ? AND returnee_id = ? AND requested_by = ?
		AND status = 'approved' AND expires_at > ?`, p.TenantID, id, p.UserID, store.Millis(s.now())).Scan(&n)
	return n > 0, errs.Wrap(err, "returnees: access grant")
}

// mayReveal decides a reveal: the case team's roles directly (within their caseload),
// anyone else only with a current grant.
func (s *Service) mayReveal(ctx context.Context, q store.Querier, p *authz.Principal, r Returnee) error {
	if slices.Contains(directRevealers, p.Role) {
		if !s.mayView(ctx, p, r) {
			return errNotFound
		}
		return nil
	}
	ok, err := s.hasGrant(ctx, q, p, r.ID)
	if err != nil {
		return err
	}
	if !ok {
		return &errs.Error{Kind: errs.Forbidden, MsgKey: "error.no_grant", Msg: "ask a custodian for access to this identity first"}
	}
	return nil
}

// ErasureRequest is a pending or decided two-person erasure.
type ErasureRequest struct {
	ID          string    `json:"id"`
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	Status      string    `json:"status"`
}

// RequestErasure starts a two-person erasure of case id; the alias typed exactly
// guards against choosing the wrong person.
func (s *Service) RequestErasure(ctx context.Context, p *authz.Principal, requestID, id, confirmAlias string) error {
	r, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return err
	}
	if r.Erased {
		return &errs.Error{Kind: errs.Conflict, MsgKey: "error.returnee_erased", Msg: "already erased"}
	}
	if strings.TrimSpace(confirmAlias) != r.Alias {
		return &errs.Error{Kind: errs.Invalid, Field: "confirm_alias", MsgKey: "error.erase_confirm", Msg: "type the alias exactly to confirm erasure"}
	}
	if pending, _ := s.PendingErasure(ctx, p.TenantID, id); pending != nil {
		return &errs.Error{Kind: errs.Conflict, MsgKey: "error.erasure_pending", Msg: "an erasure is already waiting for a second custodian"}
	}
	rid, _ := uuid.NewV7()
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO erasure_requests (id, tenant_id, returnee_id, requested_by, requested_at, status) VALUES (?, ?, ?, ?, ?, 'pending')`,
			rid.String(), p.TenantID, id, p.UserID, store.Millis(s.now())); err != nil {
			return errs.Wrap(err, "returnees: request erasure")
		}
		_, err := s.audit.Append(ctx, tx, entry(p, requestID, "returnee.erase_request", id, "ok"))
		return err
	})
}

// PendingErasure returns the case's pending erasure request, or nil.
func (s *Service) PendingErasure(ctx context.Context, tenantID, id string) (*ErasureRequest, error) {
	var e ErasureRequest
	var at int64
	err := s.db.Reader().QueryRow(ctx, `SELECT id, requested_by, requested_at, status FROM erasure_requests WHERE tenant_id = ? AND returnee_id = ? AND status = 'pending'`,
		tenantID, id).Scan(&e.ID, &e.RequestedBy, &at, &e.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Wrap(err, "returnees: pending erasure")
	}
	e.RequestedAt = store.FromMillis(at)
	return &e, nil
}

// ApproveErasure is the second person's act: a custodian other than the requester
// approves, and the identity is crypto-shredded in the same transaction.
func (s *Service) ApproveErasure(ctx context.Context, p *authz.Principal, requestID, id string) error {
	if _, err := s.Get(ctx, p.TenantID, id); err != nil {
		return err
	}
	pending, err := s.PendingErasure(ctx, p.TenantID, id)
	if err != nil {
		return err
	}
	if pending == nil {
		return &errs.Error{Kind: errs.Conflict, MsgKey: "error.no_erasure_request", Msg: "there is no erasure request to approve"}
	}
	if pending.RequestedBy == p.UserID {
		return &errs.Error{Kind: errs.Conflict, MsgKey: "error.own_request", Msg: "another custodian must approve the erasure you asked for"}
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE erasure_requests SET status = 'done', approved_by = ?, decided_at = ? WHERE tenant_id = ? AND id = ? AND status = 'pending'`,
			p.UserID, store.Millis(s.now()), p.TenantID, pending.ID)
		if err != nil {
			return errs.Wrap(err, "returnees: approve erasure")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "error.already_decided", Msg: "this erasure was already decided"}
		}
		if _, err := s.audit.Append(ctx, tx, entry(p, requestID, "returnee.erase_approve", id, "ok")); err != nil {
			return err
		}
		return s.erase(ctx, tx, p, requestID, id)
	})
}

// CancelErasure withdraws a pending erasure request.
func (s *Service) CancelErasure(ctx context.Context, p *authz.Principal, requestID, id string) error {
	if _, err := s.Get(ctx, p.TenantID, id); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE erasure_requests SET status = 'cancelled', approved_by = ?, decided_at = ? WHERE tenant_id = ? AND returnee_id = ? AND status = 'pending'`,
			p.UserID, store.Millis(s.now()), p.TenantID, id)
		if err != nil {
			return errs.Wrap(err, "returnees: cancel erasure")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "error.no_erasure_request", Msg: "there is no erasure request"}
		}
		_, err = s.audit.Append(ctx, tx, entry(p, requestID, "returnee.erase_cancel", id, "ok"))
		return err
	})
}
