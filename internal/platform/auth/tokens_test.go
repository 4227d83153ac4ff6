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

func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("acme", false)
		e.user(tn.ID, "admin", authz.Admin, false)
		u := e.user(tn.ID, "alice", authz.CaseWorker, false)
		a := Actor{TenantID: tn.ID, UserID: u.ID, Role: authz.CaseWorker, RequestID: "req-tok"}
		id, raw, err := e.svc.CreateToken(e.ctx, a, tn.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		rnd, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(raw, "inoc_"))
		if !strings.HasPrefix(raw, "inoc_") || err != nil || len(rnd) < 16 {
			t.Fatalf("token %q", raw)
		}
		if en := e.lastEntry(tn.ID, "token.create"); en.Object != id || en.ActorID != u.ID {
			t.Fatalf("token audit %+v", en)
		}
		// Only the SHA-256 is stored: the raw value appears in no column.
		rows, err := db.Reader().Query(e.ctx, "SELECT id, tenant_id, user_id, token_hash FROM api_tokens")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var tid, tenant, user string
			var hash []byte
			if err := rows.Scan(&tid, &tenant, &user, &hash); err != nil {
				t.Fatal(err)
			}
			for _, col := range []string{tid, tenant, user, string(hash)} {
				if strings.Contains(col, raw) || strings.Contains(col, raw[5:]) || strings.Contains(col, string(rnd)) {
					t.Fatal("raw token stored")
				}
			}
			if sum := sha256.Sum256([]byte(raw)); string(hash) != string(sum[:]) {
				t.Fatal("stored hash is not SHA-256 of the token")
			}
		}
		rows.Close()
		if strings.Contains(e.auditLeaves(), raw[5:]) {
			t.Fatal("token in audit log")
		}

		p, err := e.svc.AuthenticateToken(e.ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if p.Via != "token" || p.Stage != authz.StageFull || p.UserID != u.ID || p.TenantID != tn.ID || p.SessionID != nil || !p.FreshAuth(e.clock.Now()) {
			t.Fatalf("token principal %+v", p)
		}
		for _, bad := range []string{"", "inoc_", mutate(raw), "xxxx_" + raw[5:], raw + "A"} {
			if bad == raw {
				continue
			}
			if _, err := e.svc.AuthenticateToken(e.ctx, bad); !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("AuthenticateToken(%q): %v", bad, err)
			}
		}
		ts, err := e.svc.Tokens(e.ctx, tn.ID, u.ID)
		if err != nil || len(ts) != 1 || ts[0].ID != id || ts[0].LastUsedAt == nil || ts[0].RevokedAt != nil {
			t.Fatalf("Tokens: %+v %v", ts, err)
		}

		// Role changes apply to tokens at once.
		if err := e.svc.SetRole(e.ctx, cli, tn.ID, u.ID, authz.Evaluator); err != nil {
			t.Fatal(err)
		}
		if p, _ := e.svc.AuthenticateToken(e.ctx, raw); p == nil || p.Role != authz.Evaluator {
			t.Fatalf("token role after change: %+v", p)
		}

		// Revoked tokens fail; revoking twice is fine.
		if err := e.svc.RevokeToken(e.ctx, a, tn.ID, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AuthenticateToken(e.ctx, raw); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("revoked token: %v", err)
		}
		if err := e.svc.RevokeToken(e.ctx, a, tn.ID, id); err != nil {
			t.Fatal(err)
		}
		if en := e.lastEntry(tn.ID, "token.revoke"); en.Object != id {
			t.Fatalf("revoke audit %+v", en)
		}
		wantKind(t, e.svc.RevokeToken(e.ctx, a, tn.ID, "no-such-token"), errs.NotFound, "revoke unknown")

		// Tokens of disabled users fail.
		_, raw2, err := e.svc.CreateToken(e.ctx, a, tn.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		if err := e.svc.Disable(e.ctx, cli, tn.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AuthenticateToken(e.ctx, raw2); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("disabled user's token: %v", err)
		}
		_, _, err = e.svc.CreateToken(e.ctx, cli, tn.ID, u.ID)
		wantKind(t, err, errs.Conflict, "token for disabled user")
	})
}
