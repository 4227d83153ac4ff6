package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// P14: 256-bit ids, only their SHA-256 stored.
func TestSessionTokenStorage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("demo", true)
		e.user(tn.ID, "alice", authz.CaseWorker, true)
		tok := e.mustLogin("demo", "alice", authz.StageFull)
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q: %d bytes (%v), want 32", tok, len(raw), err)
		}
		sum := sha256.Sum256([]byte(tok))
		if n := e.count("SELECT COUNT(*) FROM sessions WHERE id_hash = ?", sum[:]); n != 1 {
			t.Fatal("session not stored by hash")
		}
		if n := e.count("SELECT COUNT(*) FROM sessions WHERE id_hash = ?", []byte(tok)); n != 0 {
			t.Fatal("raw session id stored")
		}
		p := e.auth(tok)
		if p.Via != "session" || p.Stage != authz.StageFull || p.UserName != "alice" || p.TenantSlug != "demo" || !p.DemoTenant || string(p.SessionID) != string(sum[:]) {
			t.Fatalf("principal %+v", p)
		}
		for _, bad := range []string{"", "x", tok + "x", strings.ToUpper(tok), mutate(tok)} {
			if bad == tok {
				continue
			}
			if _, err := e.svc.Authenticate(e.ctx, bad); !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("Authenticate(%q): %v", bad, err)
			}
		}
	})
}

// P15: 15 min idle, 12 h absolute even with activity.
func TestSessionTimeouts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("demo", true)
		e.user(tn.ID, "alice", authz.CaseWorker, true)

		tok := e.mustLogin("demo", "alice", authz.StageFull)
		e.clock.Advance(14*time.Minute + 59*time.Second)
		e.auth(tok)
		e.clock.Advance(14*time.Minute + 59*time.Second)
		e.auth(tok) // idle counts from the last activity
		e.clock.Advance(15*time.Minute + time.Second)
		if _, err := e.svc.Authenticate(e.ctx, tok); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("idle 15:01: %v", err)
		}

		tok = e.mustLogin("demo", "alice", authz.StageFull)
		for range 71 { // 11 h 50 min of activity every 10 minutes
			e.clock.Advance(10 * time.Minute)
			e.auth(tok)
		}
		e.clock.Advance(9 * time.Minute) // 11:59
		e.auth(tok)
		e.clock.Advance(2 * time.Minute) // 12:01
		if _, err := e.svc.Authenticate(e.ctx, tok); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("absolute 12:01: %v", err)
		}
		if n := e.count("SELECT COUNT(*) FROM sessions"); n != 0 {
			t.Fatalf("%d expired sessions left", n)
		}
	})
}

// last_seen_at is written at most every ~10 s.
func TestSessionTouchThrottled(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	tn := e.tenant("demo", true)
	e.user(tn.ID, "alice", authz.CaseWorker, true)
	tok := e.mustLogin("demo", "alice", authz.StageFull)
	seen := func() int64 {
		var ms int64
		if err := e.db.Reader().QueryRow(e.ctx, "SELECT last_seen_at FROM sessions").Scan(&ms); err != nil {
			t.Fatal(err)
		}
		return ms
	}
	start := seen()
	e.clock.Advance(5 * time.Second)
	e.auth(tok)
	if seen() != start {
		t.Fatal("last_seen_at written within 10 s")
	}
	e.clock.Advance(6 * time.Second)
	e.auth(tok)
	if seen() != store.Millis(e.clock.Now()) {
		t.Fatal("last_seen_at not written after 10 s")
	}
}

// P14: logout, role change, disable and TOTP reset all kill the old cookie.
func TestSessionEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("acme", false)
		admin, _, adminTok := e.enrolled(tn, "admin", authz.Admin)
		a := Actor{TenantID: tn.ID, UserID: admin.ID, Role: authz.Admin, RequestID: "req-admin"}
		u, secret, tok := e.enrolled(tn, "alice", authz.CaseWorker)
		dead := func(tok, what string) {
			t.Helper()
			if _, err := e.svc.Authenticate(e.ctx, tok); !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("after %s: old session still valid (%v)", what, err)
			}
		}
		fullLogin := func() string {
			t.Helper()
			e.clock.Advance(totpPeriod * time.Second)
			tok := e.mustLogin("acme", "alice", authz.StageTOTP)
			full, err := e.svc.VerifyTOTP(e.ctx, tok, e.code(secret), "r")
			if err != nil {
				t.Fatal(err)
			}
			return full
		}

		if err := e.svc.Logout(e.ctx, tok, "req-out"); err != nil {
			t.Fatal(err)
		}
		dead(tok, "logout")
		if en := e.lastEntry(tn.ID, "auth.logout"); en.ActorID != u.ID || en.Result != "ok" || en.RequestID != "req-out" {
			t.Fatalf("logout audit %+v", en)
		}
		if err := e.svc.Logout(e.ctx, tok, "again"); err != nil {
			t.Fatalf("second logout: %v", err)
		}

		tok = fullLogin()
		if err := e.svc.SetRole(e.ctx, a, tn.ID, u.ID, authz.Supervisor); err != nil {
			t.Fatal(err)
		}
		dead(tok, "role change")
		if en := e.lastEntry(tn.ID, "user.role"); en.ActorID != admin.ID || en.Object != u.ID || en.Role != "admin" {
			t.Fatalf("role audit %+v", en)
		}
		tok = fullLogin()
		if p := e.auth(tok); p.Role != authz.Supervisor {
			t.Fatalf("role %s after change", p.Role)
		}

		if err := e.svc.EndSessions(e.ctx, a, tn.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		dead(tok, "admin kill")

		tok = fullLogin()
		if err := e.svc.ResetTOTP(e.ctx, a, tn.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		dead(tok, "TOTP reset")
		e.mustLogin("acme", "alice", authz.StageEnrol)
		e.lastEntry(tn.ID, "user.totp_reset")

		tok = e.mustLogin("acme", "alice", authz.StageEnrol)
		if err := e.svc.SetPassword(e.ctx, a, tn.ID, u.ID, "another long passphrase"); err != nil {
			t.Fatal(err)
		}
		dead(tok, "password change")
		_, err := e.login("acme", "alice", goodPassword)
		wantKind(t, err, errs.Unauthorized, "old password")
		if _, err := e.login("acme", "alice", "another long passphrase"); err != nil {
			t.Fatal(err)
		}
		e.lastEntry(tn.ID, "user.password")

		if err := e.svc.Disable(e.ctx, a, tn.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		e.lastEntry(tn.ID, "user.disable")
		if n := e.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", u.ID); n != 0 {
			t.Fatal("disabled user keeps sessions")
		}
		e.auth(adminTok) // others unaffected
	})
}

// P17: step-up needs password and code (password only for demo users), rotates the
// id, sets auth_at and keeps the absolute deadline.
func TestStepUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("acme", false)
		u, secret, tok := e.enrolled(tn, "alice", authz.CaseWorker)
		e.clock.Advance(6 * time.Minute)
		p := e.auth(tok)
		if p.FreshAuth(e.clock.Now()) {
			t.Fatal("fresh after 6 minutes")
		}
		_, err := e.svc.StepUp(e.ctx, p, "wrong password here", e.code(secret), "r")
		wantKind(t, err, errs.Unauthorized, "wrong password")
		_, err = e.svc.StepUp(e.ctx, p, goodPassword, "", "r")
		wantKind(t, err, errs.Unauthorized, "missing code")
		if msgKey(err) != "error.stepup_failed" {
			t.Fatalf("key %q", msgKey(err))
		}
		code := e.code(secret)
		newTok, err := e.svc.StepUp(e.ctx, p, goodPassword, code, "req-up")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(e.ctx, tok); !errs.Is(err, errs.Unauthorized) {
			t.Fatal("old id survives step-up")
		}
		np := e.auth(newTok)
		if !np.FreshAuth(e.clock.Now()) || !np.AuthAt.Equal(e.clock.Now()) {
			t.Fatalf("after step-up: %+v", np)
		}
		if en := e.lastEntry(tn.ID, "auth.stepup"); en.Result != "ok" || en.ActorID != u.ID || en.RequestID != "req-up" {
			t.Fatalf("step-up audit %+v", en)
		}
		// The code is spent.
		_, err = e.svc.StepUp(e.ctx, np, goodPassword, code, "r")
		wantKind(t, err, errs.Unauthorized, "replayed step-up code")
		if en := e.lastEntry(tn.ID, "auth.stepup"); en.Result != "denied" {
			t.Fatalf("replayed step-up audited %+v", en)
		}
		// Pending sessions cannot step up.
		pend := e.auth(e.mustLogin("acme", "alice", authz.StageTOTP))
		_, err = e.svc.StepUp(e.ctx, pend, goodPassword, code, "r")
		wantKind(t, err, errs.Forbidden, "step-up of a pending session")
		// Step-up does not extend the absolute lifetime.
		for range 12 * 6 {
			e.clock.Advance(10 * time.Minute)
			if _, err := e.svc.Authenticate(e.ctx, newTok); err != nil {
				break
			}
			if e.clock.Now().Minute()%60 == 0 {
				if tok, err := e.svc.StepUp(e.ctx, e.auth(newTok), goodPassword, e.code(secret), "r"); err == nil {
					newTok = tok
				}
			}
		}
		if _, err := e.svc.Authenticate(e.ctx, newTok); !errs.Is(err, errs.Unauthorized) {
			t.Fatal("session outlived 12 h through step-ups")
		}

		// Demo users step up with the password alone.
		dt := e.tenant("demo", true)
		e.user(dt.ID, "dora", authz.CaseWorker, true)
		dp := e.auth(e.mustLogin("demo", "dora", authz.StageFull))
		if _, err := e.svc.StepUp(e.ctx, dp, goodPassword, "", "r"); err != nil {
			t.Fatalf("demo step-up: %v", err)
		}
	})
}
