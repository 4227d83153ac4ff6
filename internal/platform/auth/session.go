package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// LoginResult is a new session: Token goes into the cookie; Stage says whether the
// second factor is still due.
type LoginResult struct {
	Token string
	Stage authz.Stage
}

const (
	secretBytes    = 32 // session ids and setup links: 256 bits
	secretTokenLen = 43 // their unpadded base64url length
)

// newSecret returns a fresh 256-bit secret in base64url and the SHA-256 that is
// stored in its place: a database reader cannot present a hash as a cookie.
func newSecret() (raw string, hash []byte) {
	b := make([]byte, secretBytes)
	rand.Read(b)
	raw = base64.RawURLEncoding.EncodeToString(b)
	return raw, hashSecret(raw)
}

func hashSecret(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

// secretHash hashes a presented session id or setup link, refusing anything of the
// wrong shape before touching the database.
func secretHash(raw string) ([]byte, bool) {
	if len(raw) != secretTokenLen {
		return nil, false
	}
	return hashSecret(raw), true
}

// loginAccount is what Login needs to know about the account named in the form.
type loginAccount struct {
	tenantID, tenantSlug string
	tenantDemo           bool
	userID, role, hash   string
	disabled, demo       bool
	enrolled             bool
}

func (s *Service) lookupAccount(ctx context.Context, slug, name string) (loginAccount, error) {
	var acc loginAccount
	if len(slug) > 64 || len(name) > 128 {
		return acc, nil // cannot exist; treated like any unknown account
	}
	var uid, role, hash sql.NullString
	var disabled, demo, enrolled sql.NullBool
	err := s.db.Reader().QueryRow(ctx, `SELECT t.id, t.slug, t.demo, u.id, u.role, u.password_hash, u.disabled, u.demo, u.totp_enrolled
		FROM tenants t LEFT JOIN users u ON u.tenant_id = t.id AND u.name = ?
		WHERE t.slug = ?`, name, slug).
		Scan(&acc.tenantID, &acc.tenantSlug, &acc.tenantDemo, &uid, &role, &hash, &disabled, &demo, &enrolled)
	if isNoRows(err) {
		return loginAccount{}, nil
	}
	if err != nil {
		return loginAccount{}, fmt.Errorf("auth: look up account: %w", err)
	}
	acc.userID, acc.role, acc.hash = uid.String, role.String, hash.String
	acc.disabled, acc.demo, acc.enrolled = disabled.Bool, demo.Bool, enrolled.Bool
	return acc, nil
}

// Login checks a password and opens a session. Every failure that could tell whether an
// account exists (unknown organisation or user, disabled user, wrong password) returns
// the same error after the same work: one argon2 run (SECURITY.md P11). Attempts are
// throttled per client address (in memory) and per account (P12). The session's Stage
// is full for demo users, totp for enrolled users and enrol otherwise.
func (s *Service) Login(ctx context.Context, tenantSlug, name, password, address, requestID string) (LoginResult, error) {
	if !s.addr.allow(address, s.now()) {
		return LoginResult{}, errTooMany()
	}
	slug, uname := normName(tenantSlug), normName(name)
	acc, err := s.lookupAccount(ctx, slug, uname)
	if err != nil {
		return LoginResult{}, errs.Wrap(err, "login")
	}
	// Opaque ids only: for an unknown user the actor stays empty, and the attempted
	// name, password and address never reach the log.
	entry := audit.Entry{TenantID: acc.tenantID, ActorID: acc.userID, Role: acc.role, Action: "auth.login", RequestID: requestID}
	r, err := s.reserve(ctx, s.accountKey(slug, uname), entry)
	if err != nil {
		return LoginResult{}, err
	}

	var ok, rehash bool
	if acc.userID != "" {
		ok, rehash, err = s.verifyPassword(ctx, acc.hash, password)
	} else {
		err = s.dummyVerify(ctx, password)
	}
	if err != nil {
		return LoginResult{}, errs.Wrap(err, "login: verify password")
	}
	if !ok || acc.disabled {
		if err := s.recordFailure(ctx, entry, "failed"); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, errLoginFailed()
	}

	stage := authz.StageTOTP
	switch {
	case acc.demo && acc.tenantDemo: // both, in case a demo user ever sits in a real tenant
		stage = authz.StageFull
	case !acc.enrolled:
		stage = authz.StageEnrol
	}
	newHash := ""
	if rehash {
		// Upgrade a hash made under an older, cheaper cost while we have the password.
		if h, err := s.hashPassword(ctx, password); err == nil {
			newHash = h
		}
	}
	now := s.now()
	authAt := time.Time{}
	if stage == authz.StageFull {
		authAt = now
	}
	var token string
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := release(ctx, tx, r); err != nil {
			return err
		}
		if newHash != "" {
			if _, err := tx.Exec(ctx, "UPDATE users SET password_hash = ? WHERE tenant_id = ? AND id = ? AND password_hash = ?", newHash, acc.tenantID, acc.userID, acc.hash); err != nil {
				return fmt.Errorf("auth: upgrade password hash: %w", err)
			}
		}
		var err error
		if token, err = s.insertSession(ctx, tx, acc.tenantID, acc.userID, stage, now, authAt); err != nil {
			return err
		}
		entry.Result = "ok"
		return s.appendAudit(ctx, tx, entry)
	})
	if err != nil {
		return LoginResult{}, errs.Wrap(err, "login")
	}
	return LoginResult{Token: token, Stage: stage}, nil
}

// recordFailure audits a failed attempt; its reservation stays as the failure count.
func (s *Service) recordFailure(ctx context.Context, entry audit.Entry, result string) error {
	entry.Result = result
	err := s.db.InTx(ctx, func(tx *store.Tx) error { return s.appendAudit(ctx, tx, entry) })
	return errs.Wrap(err, "record failed "+entry.Action)
}

func (s *Service) insertSession(ctx context.Context, tx *store.Tx, tenantID, userID string, stage authz.Stage, created, authAt time.Time) (string, error) {
	raw, hash := newSecret()
	var auth int64 // 0 until a full authentication
	if !authAt.IsZero() {
		auth = store.Millis(authAt)
	}
	now := store.Millis(s.now())
	_, err := tx.Exec(ctx, "INSERT INTO sessions (id_hash, tenant_id, user_id, stage, created_at, last_seen_at, auth_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		hash, tenantID, userID, string(stage), store.Millis(created), now, auth)
	if err != nil {
		return "", fmt.Errorf("auth: insert session: %w", err)
	}
	return raw, nil
}

// rotate replaces a session by a new one of the given stage, keeping its creation time
// so the absolute timeout cannot be extended by stepping up. The old id dies here.
func (s *Service) rotate(ctx context.Context, tx *store.Tx, oldHash []byte, tenantID, userID string, stage authz.Stage, authAt time.Time) (string, error) {
	var created int64
	err := tx.QueryRow(ctx, "SELECT created_at FROM sessions WHERE id_hash = ? AND tenant_id = ? AND user_id = ?"+tx.ForUpdate(), oldHash, tenantID, userID).Scan(&created)
	if isNoRows(err) {
		return "", errSignIn() // signed out or ended meanwhile
	}
	if err != nil {
		return "", fmt.Errorf("auth: read session: %w", err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", oldHash); err != nil {
		return "", fmt.Errorf("auth: delete old session: %w", err)
	}
	return s.insertSession(ctx, tx, tenantID, userID, stage, store.FromMillis(created), authAt)
}

// Authenticate resolves a session cookie value to its principal, fresh from the
// database on every call so role changes and disabling apply at once. Unknown,
// expired (idle or absolute) and disabled sessions are Unauthorized. Sessions of stage
// totp or enrol authenticate with that stage; the web layer lets them reach only the
// second-factor pages.
func (s *Service) Authenticate(ctx context.Context, token string) (*authz.Principal, error) {
	hash, ok := secretHash(token)
	if !ok {
		return nil, errSignIn()
	}
	var p authz.Principal
	var stage, role string
	var created, lastSeen, authAt int64
	var disabled bool
	err := s.db.Reader().QueryRow(ctx, `SELECT s.tenant_id, s.user_id, s.stage, s.created_at, s.last_seen_at, s.auth_at,
			u.name, u.role, u.disabled, t.slug, t.name, t.demo
		FROM sessions s
		JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id
		JOIN tenants t ON t.id = s.tenant_id
		WHERE s.id_hash = ?`, hash).
		Scan(&p.TenantID, &p.UserID, &stage, &created, &lastSeen, &authAt, &p.UserName, &role, &disabled, &p.TenantSlug, &p.TenantName, &p.DemoTenant)
	if isNoRows(err) {
		return nil, errSignIn()
	}
	if err != nil {
		return nil, errs.Wrap(err, "authenticate session")
	}
	now := s.now()
	if disabled || now.Sub(store.FromMillis(lastSeen)) >= s.cfg.IdleTimeout || now.Sub(store.FromMillis(created)) >= s.cfg.AbsoluteTimeout {
		_ = s.db.InTx(ctx, func(tx *store.Tx) error { // best effort: it is dead either way
			_, err := tx.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", hash)
			return err
		})
		return nil, errSignIn()
	}
	r, ok := authz.ParseRole(role)
	if !ok {
		return nil, errs.Wrap(fmt.Errorf("user has unknown role %q", role), "authenticate session")
	}
	switch st := authz.Stage(stage); st {
	case authz.StageFull, authz.StageTOTP, authz.StageEnrol:
		p.Stage = st
	default:
		return nil, errs.Wrap(fmt.Errorf("session has unknown stage %q", stage), "authenticate session")
	}
	if now.Sub(store.FromMillis(lastSeen)) >= sessionTouchEvery {
		// Best effort: a lost touch can only end the session sooner, never later.
		_ = s.db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?", store.Millis(now), hash, store.Millis(now))
			return err
		})
	}
	p.Role = r
	p.Via = "session"
	p.SessionID = hash
	if authAt > 0 {
		p.AuthAt = store.FromMillis(authAt)
	}
	return &p, nil
}

// Logout deletes the session: its cookie value is worthless from here on. An unknown
// or already ended session is not an error.
func (s *Service) Logout(ctx context.Context, token, requestID string) error {
	hash, ok := secretHash(token)
	if !ok {
		return nil
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var tenantID, userID, role string
		err := tx.QueryRow(ctx, `SELECT s.tenant_id, s.user_id, u.role FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE s.id_hash = ?`+tx.ForUpdate(), hash).Scan(&tenantID, &userID, &role)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("auth: read session: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", hash); err != nil {
			return fmt.Errorf("auth: delete session: %w", err)
		}
		return s.appendAudit(ctx, tx, audit.Entry{TenantID: tenantID, ActorID: userID, Role: role, Action: "auth.logout", Result: "ok", RequestID: requestID})
	})
	return errs.Wrap(err, "logout")
}

// authState is a user's credential state, read fresh for a second-factor check.
type authState struct {
	name, role, hash string
	sealed           []byte
	enrolled         bool
	lastStep         int64
	disabled, demo   bool
	slug             string
	tenantDemo       bool
}

func loadAuthState(ctx context.Context, q store.Querier, tenantID, userID string) (authState, error) {
	var st authState
	err := q.QueryRow(ctx, `SELECT u.name, u.role, u.password_hash, u.totp_secret, u.totp_enrolled, u.totp_last_step, u.disabled, u.demo, t.slug, t.demo
		FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.tenant_id = ? AND u.id = ?`, tenantID, userID).
		Scan(&st.name, &st.role, &st.hash, &st.sealed, &st.enrolled, &st.lastStep, &st.disabled, &st.demo, &st.slug, &st.tenantDemo)
	if isNoRows(err) {
		return authState{}, errSignIn()
	}
	if err != nil {
		return authState{}, fmt.Errorf("auth: read credentials: %w", err)
	}
	return st, nil
}

// errStepUsed aborts a success transaction whose TOTP step another request consumed
// first: the code was replayed.
var errStepUsed = errors.New("auth: TOTP step already used")

// succeed commits a successful second-factor check: consume the code's step (only if
// still unused, which makes replays lose even when racing), run extra, release the
// throttle reservation, rotate the session and audit. A lost race is recorded as a
// denied replay and returns codeErr.
func (s *Service) succeed(ctx context.Context, entry audit.Entry, r reservation, p *authz.Principal, step int64, stage authz.Stage, authAt time.Time, extra func(tx *store.Tx) error, codeErr func() error) (string, error) {
	var token string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if step > 0 {
			res, err := tx.Exec(ctx, "UPDATE users SET totp_last_step = ? WHERE tenant_id = ? AND id = ? AND totp_last_step < ?", step, p.TenantID, p.UserID, step)
			if err != nil {
				return fmt.Errorf("auth: consume TOTP step: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return errStepUsed
			}
		}
		if extra != nil {
			if err := extra(tx); err != nil {
				return err
			}
		}
		if err := release(ctx, tx, r); err != nil {
			return err
		}
		var err error
		if token, err = s.rotate(ctx, tx, p.SessionID, p.TenantID, p.UserID, stage, authAt); err != nil {
			return err
		}
		entry.Result = "ok"
		return s.appendAudit(ctx, tx, entry)
	})
	if errors.Is(err, errStepUsed) {
		if err := s.recordFailure(ctx, entry, "denied"); err != nil {
			return "", err
		}
		return "", codeErr()
	}
	if err != nil {
		return "", errs.Wrap(err, entry.Action)
	}
	return token, nil
}

// codeResult is the audit result of a failed code: a replayed code is "denied" (it may
// be a relayed phishing attempt, worth an alert), a wrong one "failed".
func codeResult(replay bool) string {
	if replay {
		return "denied"
	}
	return "failed"
}

// StepUp re-authenticates a full session for a sensitive action (P17): password and
// TOTP code (password only for demo users). On success the session gets a new id and
// auth_at = now; the old id dies. Failures count toward the account throttle.
func (s *Service) StepUp(ctx context.Context, p *authz.Principal, password, code, requestID string) (string, error) {
	if p == nil || p.Via != "session" || p.Stage != authz.StageFull || p.SessionID == nil {
		return "", errWrongStage()
	}
	st, err := loadAuthState(ctx, s.db.Reader(), p.TenantID, p.UserID)
	if err != nil {
		return "", errs.Wrap(err, "step-up")
	}
	if st.disabled {
		return "", errSignIn()
	}
	entry := audit.Entry{TenantID: p.TenantID, ActorID: p.UserID, Role: st.role, Action: "auth.stepup", RequestID: requestID}
	r, err := s.reserve(ctx, s.accountKey(st.slug, st.name), entry)
	if err != nil {
		return "", err
	}
	pwOK, _, err := s.verifyPassword(ctx, st.hash, password)
	if err != nil {
		return "", errs.Wrap(err, "step-up: verify password")
	}
	var step int64
	codeOK, replay := true, false
	if !(st.demo && st.tenantDemo) {
		codeOK = false
		if st.enrolled && st.sealed != nil {
			secret, err := s.openSecret(ctx, s.db.Reader(), p.TenantID, p.UserID, st.sealed)
			if err != nil {
				return "", errs.Wrap(err, "step-up")
			}
			step, codeOK, replay = matchCode(secret, code, st.lastStep, s.now())
		}
	}
	if !pwOK || !codeOK {
		if err := s.recordFailure(ctx, entry, codeResult(pwOK && replay)); err != nil {
			return "", err
		}
		return "", errStepUpFailed()
	}
	return s.succeed(ctx, entry, r, p, step, authz.StageFull, s.now(), nil, errStepUpFailed)
}

// prune deletes expired throttle rows and sessions, at most once a minute per process
// and best effort: leftovers are ignored by every check anyway.
func (s *Service) prune(ctx context.Context, now time.Time) {
	nowMs := store.Millis(now)
	last := s.lastPrune.Load()
	if nowMs-last < time.Minute.Milliseconds() || !s.lastPrune.CompareAndSwap(last, nowMs) {
		return
	}
	_ = s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM login_failures WHERE at <= ?", store.Millis(now.Add(-s.cfg.FailureWindow)))
		return err
	})
	_ = s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?",
			store.Millis(now.Add(-s.cfg.IdleTimeout)), store.Millis(now.Add(-s.cfg.AbsoluteTimeout)))
		return err
	})
}
