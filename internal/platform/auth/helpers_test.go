package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/vault"
)

// cheapArgon keeps the suite fast; the production cost has its own tests
// (TestArgonParamsReadBack, BenchmarkPasswordHash).
var cheapArgon = ArgonParams{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

const goodPassword = "correct horse battery staple"

// clock is an injectable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	// Mid-step start: a TOTP step boundary is 30 s away either side.
	return &clock{t: time.Date(2026, 3, 1, 12, 0, 15, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t     testing.TB
	ctx   context.Context
	db    *store.DB
	svc   *Service
	log   *audit.Log
	vault *vault.Vault
	clock *clock
}

var cli = Actor{UserID: "cli"}

// newEnv wires the service to the real vault and audit log over db.
func newEnv(t testing.TB, db *store.DB, tweak ...func(*Config)) *env {
	t.Helper()
	kf, err := vault.OpenKeyFile(filepath.Join(t.TempDir(), "keys", "keys.json"))
	if err != nil {
		t.Fatalf("open key file: %v", err)
	}
	skey, _, err := note.GenerateKey(rand.Reader, "inoculate-audit")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(db, signer)
	v := vault.New(kf, kf)
	c := newClock()
	cfg := Config{Now: c.Now, EnsureTenantKey: kf.EnsureTenant}
	for _, f := range tweak {
		f(&cfg)
	}
	svc := New(db, v, log, bytes.Repeat([]byte{7}, 32), cfg)
	svc.argon = cheapArgon
	return &env{t: t, ctx: context.Background(), db: db, svc: svc, log: log, vault: v, clock: c}
}

func (e *env) tenant(slug string, demo bool) Tenant {
	e.t.Helper()
	tn, err := e.svc.CreateTenant(e.ctx, cli, slug, "Org "+slug, demo)
	if err != nil {
		e.t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

func (e *env) user(tenantID, name string, role authz.Role, demo bool) User {
	e.t.Helper()
	u, err := e.svc.CreateUser(e.ctx, cli, tenantID, name, role, goodPassword, demo)
	if err != nil {
		e.t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

func (e *env) login(slug, name, password string) (LoginResult, error) {
	return e.svc.Login(e.ctx, slug, name, password, "192.0.2.1", "req-login")
}

func (e *env) mustLogin(slug, name string, want authz.Stage) string {
	e.t.Helper()
	r, err := e.login(slug, name, goodPassword)
	if err != nil {
		e.t.Fatalf("login %s: %v", name, err)
	}
	if r.Stage != want {
		e.t.Fatalf("login %s: stage %s, want %s", name, r.Stage, want)
	}
	return r.Token
}

func (e *env) auth(token string) *authz.Principal {
	e.t.Helper()
	p, err := e.svc.Authenticate(e.ctx, token)
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	return p
}

func (e *env) code(secret []byte) string { return hotp(secret, uint64(totpStep(e.clock.Now()))) }

// enrolled creates a user, signs in, enrols TOTP and returns the user, the raw TOTP
// secret and the full session token. The clock moves to the next step, so the code
// used for enrolment is spent.
func (e *env) enrolled(tn Tenant, name string, role authz.Role) (User, []byte, string) {
	e.t.Helper()
	u := e.user(tn.ID, name, role, false)
	tok := e.mustLogin(tn.Slug, name, authz.StageEnrol)
	p := e.auth(tok)
	b32, _, err := e.svc.BeginEnrol(e.ctx, p)
	if err != nil {
		e.t.Fatalf("begin enrol: %v", err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(b32)
	if err != nil {
		e.t.Fatal(err)
	}
	full, err := e.svc.ConfirmEnrol(e.ctx, p, e.code(secret), "req-enrol")
	if err != nil {
		e.t.Fatalf("confirm enrol: %v", err)
	}
	e.clock.Advance(totpPeriod * time.Second)
	return u, secret, full
}

// entries returns the tenant's audit entries, oldest first.
func (e *env) entries(tenantID string) []audit.Entry {
	e.t.Helper()
	recs, err := e.log.List(e.ctx, e.db.Reader(), tenantID, audit.Filter{Limit: audit.MaxListLimit})
	if err != nil {
		e.t.Fatalf("list audit: %v", err)
	}
	out := make([]audit.Entry, len(recs))
	for i, r := range recs {
		out[len(recs)-1-i] = r.Entry
	}
	return out
}

// lastEntry returns the newest entry of the tenant with the action.
func (e *env) lastEntry(tenantID, action string) audit.Entry {
	e.t.Helper()
	es := e.entries(tenantID)
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Action == action {
			return es[i]
		}
	}
	e.t.Fatalf("no audit entry %s in tenant %q", action, tenantID)
	return audit.Entry{}
}

// auditLeaves returns all stored audit leaves, for canary searches.
func (e *env) auditLeaves() string {
	e.t.Helper()
	rows, err := e.db.Reader().Query(e.ctx, "SELECT leaf FROM audit_entries ORDER BY seq")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var leaf []byte
		if err := rows.Scan(&leaf); err != nil {
			e.t.Fatal(err)
		}
		b.Write(leaf)
		b.WriteByte('\n')
	}
	return b.String()
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Reader().QueryRow(e.ctx, query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func wantKind(t *testing.T, err error, k errs.Kind, what string) {
	t.Helper()
	if !errs.Is(err, k) {
		t.Fatalf("%s: got %v (kind %v), want kind %v", what, err, errs.KindOf(err), k)
	}
}

func msgKey(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.MsgKey
	}
	return ""
}

// mutate changes one character of a secret, always to a different one.
func mutate(s string) string {
	c := byte('A')
	if s[len(s)-1] == 'A' {
		c = 'B'
	}
	return s[:len(s)-1] + string(c)
}
