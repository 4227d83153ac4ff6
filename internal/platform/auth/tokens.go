package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// API tokens are bearer credentials for automation: "inoc_" and 256 random bits in
// base64url. Only their SHA-256 is stored; the raw value is shown once at creation.
// The prefix lets secret scanners recognise a leaked token.

const (
	tokenPrefix = "inoc_"
	tokenLen    = len(tokenPrefix) + secretTokenLen
)

// Token describes an API token, never its value.
type Token struct {
	ID, UserID            string
	CreatedAt             time.Time
	LastUsedAt, RevokedAt *time.Time
}

// CreateToken issues a token for an enabled user of the tenant and returns its id and
// raw value (the only time the value exists outside the caller).
func (s *Service) CreateToken(ctx context.Context, a Actor, tenantID, userID string) (id, raw string, err error) {
	if err := checkActorTenant(a, tenantID); err != nil {
		return "", "", err
	}
	if id, err = newID(); err != nil {
		return "", "", err
	}
	b := make([]byte, secretBytes)
	rand.Read(b)
	raw = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		u, err := lockUser(ctx, tx, tenantID, userID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return &errs.Error{Kind: errs.Conflict, MsgKey: "error.user_disabled", Msg: "This user is disabled."}
		}
		_, err = tx.Exec(ctx, "INSERT INTO api_tokens (id, tenant_id, user_id, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
			id, tenantID, userID, hashSecret(raw), store.Millis(s.now()))
		if err != nil {
			return fmt.Errorf("auth: insert token: %w", err)
		}
		return s.appendAudit(ctx, tx, actorEntry(a, tenantID, "token.create", id))
	})
	if err != nil {
		return "", "", errs.Wrap(err, "create token")
	}
	return id, raw, nil
}

// Tokens lists a user's tokens, newest first.
func (s *Service) Tokens(ctx context.Context, tenantID, userID string) ([]Token, error) {
	rows, err := s.db.Reader().Query(ctx, `SELECT id, user_id, created_at, last_used_at, revoked_at FROM api_tokens
		WHERE tenant_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC`, tenantID, userID)
	if err != nil {
		return nil, errs.Wrap(err, "list tokens")
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created int64
		var used, revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.UserID, &created, &used, &revoked); err != nil {
			return nil, errs.Wrap(err, "scan token")
		}
		t.CreatedAt = store.FromMillis(created)
		t.LastUsedAt, t.RevokedAt = optTime(used), optTime(revoked)
		out = append(out, t)
	}
	return out, errs.Wrap(rows.Err(), "list tokens")
}

func optTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := store.FromMillis(n.Int64)
	return &t
}

// RevokeToken ends a token of the tenant at once. Revoking a revoked token is a no-op.
func (s *Service) RevokeToken(ctx context.Context, a Actor, tenantID, tokenID string) error {
	if err := checkActorTenant(a, tenantID); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var revoked sql.NullInt64
		err := tx.QueryRow(ctx, "SELECT revoked_at FROM api_tokens WHERE tenant_id = ? AND id = ?"+tx.ForUpdate(), tenantID, tokenID).Scan(&revoked)
		if err != nil {
			return notFoundOr(err, "read token")
		}
		if revoked.Valid {
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE tenant_id = ? AND id = ?", store.Millis(s.now()), tenantID, tokenID); err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		return s.appendAudit(ctx, tx, actorEntry(a, tenantID, "token.revoke", tokenID))
	})
	return errs.Wrap(err, "revoke token")
}

// AuthenticateToken resolves a raw API token to its principal (Via "token", stage full).
// Unknown and revoked tokens and tokens of disabled users are Unauthorized.
func (s *Service) AuthenticateToken(ctx context.Context, raw string) (*authz.Principal, error) {
	if len(raw) != tokenLen || !strings.HasPrefix(raw, tokenPrefix) {
		return nil, errSignIn()
	}
	hash := hashSecret(raw)
	var p authz.Principal
	var id, role string
	var revoked, used sql.NullInt64
	var disabled bool
	err := s.db.Reader().QueryRow(ctx, `SELECT k.id, k.tenant_id, k.user_id, k.revoked_at, k.last_used_at,
			u.name, u.role, u.disabled, t.slug, t.name, t.demo
		FROM api_tokens k
		JOIN users u ON u.id = k.user_id AND u.tenant_id = k.tenant_id
		JOIN tenants t ON t.id = k.tenant_id
		WHERE k.token_hash = ?`, hash).
		Scan(&id, &p.TenantID, &p.UserID, &revoked, &used, &p.UserName, &role, &disabled, &p.TenantSlug, &p.TenantName, &p.DemoTenant)
	if isNoRows(err) {
		return nil, errSignIn()
	}
	if err != nil {
		return nil, errs.Wrap(err, "authenticate token")
	}
	if revoked.Valid || disabled {
		return nil, errSignIn()
	}
	r, ok := authz.ParseRole(role)
	if !ok {
		return nil, errs.Wrap(fmt.Errorf("user has unknown role %q", role), "authenticate token")
	}
	now := s.now()
	if !used.Valid || now.Sub(store.FromMillis(used.Int64)) >= sessionTouchEvery {
		_ = s.db.InTx(ctx, func(tx *store.Tx) error { // best effort: informational only
			_, err := tx.Exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", store.Millis(now), id)
			return err
		})
	}
	p.Role = r
	p.Stage = authz.StageFull
	p.Via = "token"
	p.AuthAt = now
	return &p, nil
}
