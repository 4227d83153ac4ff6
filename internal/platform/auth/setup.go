package auth

import (
	"context"
	"fmt"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Setup links let the operator hand over a new tenant: the link's holder creates the
// tenant's first admin, once. A link is a 256-bit secret of which only the SHA-256 is
// stored; it works only while the tenant has no users.

const (
	defaultSetupTTL = 24 * time.Hour
	maxSetupTTL     = 7 * 24 * time.Hour
)

func errSetupLink() error {
	return &errs.Error{Kind: errs.NotFound, MsgKey: "error.setup_link_invalid", Msg: "This set-up link is not valid, has been used or has expired."}
}

func errSetupDone() error {
	return &errs.Error{Kind: errs.Conflict, MsgKey: "error.setup_done", Msg: "This organisation already has users."}
}

func tenantHasUsers(ctx context.Context, q store.Querier, tenantID string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE tenant_id = ? LIMIT 1) AS any_user", tenantID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("auth: tenant has users: %w", err)
	}
	return n > 0, nil
}

// CreateSetupLink returns a single-use link secret for a tenant without users, valid
// for ttl (default 24 h, at most 7 days).
func (s *Service) CreateSetupLink(ctx context.Context, tenantID string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		ttl = defaultSetupTTL
	}
	ttl = min(ttl, maxSetupTTL)
	raw, hash := newSecret()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, "SELECT id FROM tenants WHERE id = ?", tenantID).Scan(&id); err != nil {
			return notFoundOr(err, "tenant of setup link")
		}
		has, err := tenantHasUsers(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		if has {
			return errSetupDone()
		}
		if _, err := tx.Exec(ctx, "INSERT INTO setup_links (token_hash, tenant_id, expires_at) VALUES (?, ?, ?)",
			hash, tenantID, store.Millis(s.now().Add(ttl))); err != nil {
			return fmt.Errorf("auth: insert setup link: %w", err)
		}
		return s.appendAudit(ctx, tx, audit.Entry{TenantID: tenantID, ActorID: "system", Action: "setup.link", Object: tenantID, Result: "ok"})
	})
	if err != nil {
		return "", errs.Wrap(err, "create setup link")
	}
	return raw, nil
}

// CheckSetupLink returns the tenant of a valid, unused, unexpired link.
func (s *Service) CheckSetupLink(ctx context.Context, raw string) (Tenant, error) {
	hash, ok := secretHash(raw)
	if !ok {
		return Tenant{}, errSetupLink()
	}
	q := s.db.Reader()
	t, err := scanTenant(q.QueryRow(ctx, `SELECT t.id, t.slug, t.name, t.demo, t.created_at
		FROM setup_links l JOIN tenants t ON t.id = l.tenant_id
		WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > ?`, hash, store.Millis(s.now())))
	if isNoRows(err) {
		return Tenant{}, errSetupLink()
	}
	if err != nil {
		return Tenant{}, errs.Wrap(err, "check setup link")
	}
	has, err := tenantHasUsers(ctx, q, t.ID)
	if err != nil {
		return Tenant{}, errs.Wrap(err, "check setup link")
	}
	if has {
		return Tenant{}, errSetupLink()
	}
	return t, nil
}

// CompleteSetup uses a link: it creates the tenant's first admin and signs them in at
// stage enrol (they set up TOTP next). The link cannot be used again.
func (s *Service) CompleteSetup(ctx context.Context, raw, name, password, requestID string) (User, LoginResult, error) {
	t, err := s.CheckSetupLink(ctx, raw)
	if err != nil {
		return User{}, LoginResult{}, err
	}
	name = normName(name)
	if err := validateUserName(name); err != nil {
		return User{}, LoginResult{}, err
	}
	if err := validatePassword(name, password); err != nil {
		return User{}, LoginResult{}, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return User{}, LoginResult{}, errs.Wrap(err, "hash password")
	}
	linkHash, _ := secretHash(raw)
	var u User
	var token string
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		// Claim the link first: of two concurrent uses exactly one updates the row.
		res, err := tx.Exec(ctx, "UPDATE setup_links SET used_at = ? WHERE token_hash = ? AND tenant_id = ? AND used_at IS NULL AND expires_at > ?",
			store.Millis(s.now()), linkHash, t.ID, store.Millis(s.now()))
		if err != nil {
			return fmt.Errorf("auth: claim setup link: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errSetupLink()
		}
		has, err := tenantHasUsers(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		if has {
			return errSetupDone()
		}
		if u, err = s.insertUser(ctx, tx, t.ID, name, authz.Admin, hash, false); err != nil {
			return err
		}
		now := s.now()
		if token, err = s.insertSession(ctx, tx, t.ID, u.ID, authz.StageEnrol, now, time.Time{}); err != nil {
			return err
		}
		a := Actor{TenantID: t.ID, UserID: u.ID, Role: authz.Admin, RequestID: requestID}
		if err := s.appendAudit(ctx, tx, actorEntry(a, t.ID, "user.create", u.ID)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actorEntry(a, t.ID, "setup.complete", t.ID))
	})
	if err != nil {
		return User{}, LoginResult{}, errs.Wrap(err, "complete setup")
	}
	return u, LoginResult{Token: token, Stage: authz.StageEnrol}, nil
}
