package auth

import (
	"strings"
	"testing"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

func TestTenantsAndUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("acme", false)
		if en := e.lastEntry(tn.ID, "tenant.create"); en.Object != tn.ID || en.ActorID != "cli" {
			t.Fatalf("tenant audit %+v", en)
		}
		_, err := e.svc.CreateTenant(e.ctx, cli, "ACME", "Other", false)
		wantKind(t, err, errs.Conflict, "duplicate slug")
		for _, bad := range []string{"a", "-acme", "ac me", "acmé", strings.Repeat("a", 41)} {
			_, err := e.svc.CreateTenant(e.ctx, cli, bad, "X", false)
			wantKind(t, err, errs.Invalid, "slug "+bad)
		}
		_, err = e.svc.CreateTenant(e.ctx, cli, "okslug", "bad\u202ename", false)
		wantKind(t, err, errs.Invalid, "bidi control in tenant name")

		got, err := e.svc.TenantBySlug(e.ctx, "acme")
		if err != nil || got.ID != tn.ID || got.Name != "Org acme" || got.Demo {
			t.Fatalf("TenantBySlug: %+v %v", got, err)
		}
		if _, err := e.svc.TenantByID(e.ctx, "nope"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("TenantByID unknown: %v", err)
		}
		if has, _ := e.svc.HasUsers(e.ctx); has {
			t.Fatal("HasUsers with none")
		}

		u, err := e.svc.CreateUser(e.ctx, cli, tn.ID, " Alice ", authz.CaseWorker, goodPassword, false)
		if err != nil || u.Name != "alice" || u.TOTPEnrolled || u.Demo {
			t.Fatalf("CreateUser: %+v %v", u, err)
		}
		if en := e.lastEntry(tn.ID, "user.create"); en.Object != u.ID {
			t.Fatalf("user audit %+v", en)
		}
		if has, _ := e.svc.HasUsers(e.ctx); !has {
			t.Fatal("HasUsers false")
		}
		for _, c := range []struct {
			name, pw string
			role     authz.Role
			demo     bool
			kind     errs.Kind
			key      string
		}{
			{"alice", goodPassword, authz.CaseWorker, false, errs.Conflict, "error.user_name_taken"},
			{"a", goodPassword, authz.CaseWorker, false, errs.Invalid, "error.user_name_invalid"},
			{"bob smith", goodPassword, authz.CaseWorker, false, errs.Invalid, "error.user_name_invalid"},
			{"bob", "short", authz.CaseWorker, false, errs.Invalid, "error.password_too_short"},
			{"bob", "bob-is-my-password", authz.CaseWorker, false, errs.Invalid, "error.password_contains_name"},
			{"bob", goodPassword, "root", false, errs.Invalid, "error.role_invalid"},
			{"bob", goodPassword, authz.CaseWorker, true, errs.Invalid, "error.demo_user_needs_demo_tenant"},
		} {
			_, err := e.svc.CreateUser(e.ctx, cli, tn.ID, c.name, c.role, c.pw, c.demo)
			wantKind(t, err, c.kind, c.name+"/"+c.key)
			if msgKey(err) != c.key {
				t.Fatalf("%s: key %q, want %q", c.name, msgKey(err), c.key)
			}
		}
		_, err = e.svc.CreateUser(e.ctx, cli, "no-such-tenant", "bob", authz.CaseWorker, goodPassword, false)
		wantKind(t, err, errs.NotFound, "user in unknown tenant")

		e.user(tn.ID, "zed", authz.Admin, false)
		us, err := e.svc.Users(e.ctx, tn.ID)
		if err != nil || len(us) != 2 || us[0].Name != "alice" || us[1].Name != "zed" {
			t.Fatalf("Users: %+v %v", us, err)
		}
		if got, err := e.svc.UserByName(e.ctx, tn.ID, "ALICE"); err != nil || got.ID != u.ID {
			t.Fatalf("UserByName: %v", err)
		}
		ts, _ := e.svc.Tenants(e.ctx)
		if len(ts) != 1 {
			t.Fatalf("Tenants: %+v", ts)
		}
	})
}

// The last enabled admin of a tenant can be neither demoted nor disabled.
func TestLastAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("acme", false)
		a1 := e.user(tn.ID, "admin1", authz.Admin, false)
		err := e.svc.SetRole(e.ctx, cli, tn.ID, a1.ID, authz.CaseWorker)
		wantKind(t, err, errs.Conflict, "demote last admin")
		err = e.svc.Disable(e.ctx, cli, tn.ID, a1.ID)
		wantKind(t, err, errs.Conflict, "disable last admin")
		a2 := e.user(tn.ID, "admin2", authz.Admin, false)
		if err := e.svc.Disable(e.ctx, cli, tn.ID, a1.ID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, e.svc.SetRole(e.ctx, cli, tn.ID, a2.ID, authz.Auditor), errs.Conflict, "demote the remaining admin")
		if err := e.svc.Enable(e.ctx, cli, tn.ID, a1.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SetRole(e.ctx, cli, tn.ID, a2.ID, authz.Auditor); err != nil {
			t.Fatal(err)
		}
	})
}

// No call reaches another tenant's users or tokens.
func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ta, tb := e.tenant("alpha", false), e.tenant("beta", false)
		ua := e.user(ta.ID, "alice", authz.CaseWorker, false)
		e.user(ta.ID, "admin", authz.Admin, false)
		ub := e.user(tb.ID, "bob", authz.Admin, false)
		tokA, _, err := e.svc.CreateToken(e.ctx, cli, ta.ID, ua.ID)
		if err != nil {
			t.Fatal(err)
		}
		bAdmin := Actor{TenantID: tb.ID, UserID: ub.ID, Role: authz.Admin}

		if _, err := e.svc.User(e.ctx, tb.ID, ua.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("User across tenants: %v", err)
		}
		if _, err := e.svc.UserByName(e.ctx, tb.ID, "alice"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("UserByName across tenants: %v", err)
		}
		for _, actor := range []Actor{cli, bAdmin} {
			checks := map[string]error{
				"SetRole":     e.svc.SetRole(e.ctx, actor, tb.ID, ua.ID, authz.Admin),
				"Disable":     e.svc.Disable(e.ctx, actor, tb.ID, ua.ID),
				"ResetTOTP":   e.svc.ResetTOTP(e.ctx, actor, tb.ID, ua.ID),
				"SetPassword": e.svc.SetPassword(e.ctx, actor, tb.ID, ua.ID, "another long passphrase"),
				"EndSessions": e.svc.EndSessions(e.ctx, actor, tb.ID, ua.ID),
				"RevokeToken": e.svc.RevokeToken(e.ctx, actor, tb.ID, tokA),
			}
			_, _, err := e.svc.CreateToken(e.ctx, actor, tb.ID, ua.ID)
			checks["CreateToken"] = err
			for what, err := range checks {
				if !errs.Is(err, errs.NotFound) {
					t.Fatalf("%s across tenants by %s: %v", what, actor.UserID, err)
				}
			}
		}
		// An actor of tenant B naming tenant A is refused too.
		for what, err := range map[string]error{
			"SetRole": e.svc.SetRole(e.ctx, bAdmin, ta.ID, ua.ID, authz.Admin),
			"Disable": e.svc.Disable(e.ctx, bAdmin, ta.ID, ua.ID),
			"Revoke":  e.svc.RevokeToken(e.ctx, bAdmin, ta.ID, tokA),
		} {
			if !errs.Is(err, errs.NotFound) {
				t.Fatalf("%s by another tenant's admin: %v", what, err)
			}
		}
		if got, _ := e.svc.User(e.ctx, ta.ID, ua.ID); got.Role != authz.CaseWorker || got.Disabled {
			t.Fatalf("user of tenant A changed: %+v", got)
		}
		if ts, _ := e.svc.Tokens(e.ctx, tb.ID, ua.ID); len(ts) != 0 {
			t.Fatal("tokens listed across tenants")
		}
		if us, _ := e.svc.Users(e.ctx, tb.ID); len(us) != 1 || us[0].ID != ub.ID {
			t.Fatalf("Users(B) = %+v", us)
		}
	})
}
