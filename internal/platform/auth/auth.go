// Package auth is Inoculate's authentication service, below the HTTP layer: tenants,
// users and their roles, argon2id passwords, TOTP second factor, server-side sessions,
// login throttling, API tokens and first-admin setup links.
//
// Threat model in brief (SECURITY.md B and C): staff accounts open the identities of
// people who are hunted, so a guessed password must not be enough (TOTP, throttling),
// a login form must not reveal which accounts exist (uniform errors and timing), a
// stolen database must not yield usable credentials (only hashes of session ids and
// tokens, argon2id passwords, TOTP secrets sealed by the vault), and every
// authentication event is audited with opaque ids only.
//
// Every change runs in one transaction together with its audit entry.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

// Auditor appends an entry to the audit log inside the caller's transaction, so the
// record and the change commit or roll back together.
type Auditor interface {
	Append(ctx context.Context, tx *store.Tx, e audit.Entry) (int64, error)
}

// Sealer encrypts and decrypts single fields (here: TOTP secrets) with the subject's
// data key; the FieldRef is bound as associated data.
type Sealer interface {
	Seal(ctx context.Context, tx *store.Tx, ref vault.FieldRef, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, q store.Querier, ref vault.FieldRef, ciphertext []byte) ([]byte, error)
}

// Config tunes the service. Zero fields take the defaults noted.
type Config struct {
	Now   func() time.Time // default time.Now
	Argon ArgonParams      // default DefaultArgon; raised to MinArgon if weaker

	IdleTimeout     time.Duration // default 15m
	AbsoluteTimeout time.Duration // default 12h

	MaxFailures   int           // failed attempts per account within FailureWindow; default 5
	FailureWindow time.Duration // default 1m

	// AddressLimit caps login attempts (failed and successful) per client address per
	// minute, in memory only; default 30.
	AddressLimit int

	// EnsureTenantKey is called by CreateTenant before commit so the vault has a key
	// encryption key for the new tenant. Nil skips it.
	EnsureTenantKey func(ctx context.Context, tenantID string) error

	// Issuer is the name authenticator apps show next to the code; default
	// "Inoculate". A deployment whose staff phones may be searched can choose a
	// neutral name.
	Issuer string
}

// Service is the authentication service. It is safe for concurrent use.
type Service struct {
	db      *store.DB
	sealer  Sealer
	auditor Auditor
	secret  []byte
	cfg     Config
	argon   ArgonParams

	hashSem chan struct{} // bounds concurrent argon2 runs: memory stays bounded under a login flood
	hashes  atomic.Int64  // argon2 runs, for tests of the dummy-hash path
	addr    *addrLimiter

	lastPrune atomic.Int64 // Unix ms of the last sweep of login_failures
}

// Actor is who performs a change, for the audit log. The CLI uses UserID "cli" and an
// empty TenantID.
type Actor struct {
	TenantID  string
	UserID    string
	Role      authz.Role
	RequestID string
}

const (
	sessionTouchEvery = 10 * time.Second // last_seen_at is written at most this often
	defaultIssuer     = "Inoculate"
)

// New returns a service over db. secret is the HMAC key for throttling keys (at least
// 32 bytes). It panics on a nil dependency or short secret: those are wiring faults to
// catch at startup, never at a user's request.
func New(db *store.DB, sealer Sealer, auditor Auditor, secret []byte, cfg Config) *Service {
	if db == nil || sealer == nil || auditor == nil {
		panic("auth.New: nil database, sealer or auditor")
	}
	if len(secret) < 32 {
		panic("auth.New: secret must be at least 32 bytes")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Minute
	}
	if cfg.AbsoluteTimeout <= 0 {
		cfg.AbsoluteTimeout = 12 * time.Hour
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.FailureWindow <= 0 {
		cfg.FailureWindow = time.Minute
	}
	if cfg.AddressLimit <= 0 {
		cfg.AddressLimit = 30
	}
	if cfg.Issuer == "" {
		cfg.Issuer = defaultIssuer
	}
	s := &Service{
		db:      db,
		sealer:  sealer,
		auditor: auditor,
		secret:  append([]byte(nil), secret...),
		cfg:     cfg,
		argon:   cfg.Argon.withDefaults().atLeast(MinArgon),
		hashSem: make(chan struct{}, max(1, runtime.NumCPU())),
	}
	s.addr = newAddrLimiter(s.mac("address"), cfg.AddressLimit)
	return s
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// mac derives a purpose-bound key from the service secret, so the account and
// address keys never share an HMAC key.
func (s *Service) mac(purpose string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("inoculate/auth/" + purpose))
	return m.Sum(nil)
}

// appendAudit writes e inside tx.
func (s *Service) appendAudit(ctx context.Context, tx *store.Tx, e audit.Entry) error {
	if _, err := s.auditor.Append(ctx, tx, e); err != nil {
		return fmt.Errorf("auth: audit %s: %w", e.Action, err)
	}
	return nil
}

// actorEntry is an audit entry for a change made by a.
func actorEntry(a Actor, tenantID, action, object string) audit.Entry {
	return audit.Entry{TenantID: tenantID, ActorID: a.UserID, Role: string(a.Role), Action: action, Object: object, Result: "ok", RequestID: a.RequestID}
}

// checkActorTenant refuses an actor of one tenant acting on another: defence in depth
// behind the web layer, answering NotFound as for any object outside the tenant. The
// CLI (no tenant) may act anywhere.
func checkActorTenant(a Actor, tenantID string) error {
	if a.TenantID != "" && a.TenantID != tenantID {
		return errNotFound()
	}
	return nil
}

// User-facing errors. Each call builds a fresh value so no caller can alter a shared one.

func errNotFound() error {
	return &errs.Error{Kind: errs.NotFound, MsgKey: "error.not_found", Msg: "Not found."}
}

// errLoginFailed is the one answer to every failed login: unknown organisation,
// unknown user, disabled user and wrong password look the same.
func errLoginFailed() error {
	return &errs.Error{Kind: errs.Unauthorized, MsgKey: "error.login_failed", Msg: "The organisation, user name or password is not correct."}
}

func errTooMany() error {
	return &errs.Error{Kind: errs.TooMany, MsgKey: "error.too_many_attempts", Msg: "Too many attempts. Please wait a minute and try again."}
}

func errSignIn() error {
	return &errs.Error{Kind: errs.Unauthorized, MsgKey: "error.sign_in_required", Msg: "Please sign in."}
}

func errCodeInvalid() error {
	return &errs.Error{Kind: errs.Unauthorized, MsgKey: "error.totp_invalid", Msg: "The code is not correct. Wait for the next code and try again."}
}

func errStepUpFailed() error {
	return &errs.Error{Kind: errs.Unauthorized, MsgKey: "error.stepup_failed", Msg: "The password or code is not correct."}
}

func errWrongStage() error {
	return &errs.Error{Kind: errs.Forbidden, MsgKey: "error.wrong_stage", Msg: "This step is not available for this session."}
}

// isNoRows reports a missing row.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
