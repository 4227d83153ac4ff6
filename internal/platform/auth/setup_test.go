package auth

import (
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

func TestSetupLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("acme", false)
		raw, err := e.svc.CreateSetupLink(e.ctx, tn.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(raw))
		if n := e.count("SELECT COUNT(*) FROM setup_links WHERE token_hash = ?", sum[:]); n != 1 {
			t.Fatal("setup link not stored by hash")
		}
		if got, err := e.svc.CheckSetupLink(e.ctx, raw); err != nil || got.ID != tn.ID {
			t.Fatalf("CheckSetupLink: %+v %v", got, err)
		}
		if _, err := e.svc.CheckSetupLink(e.ctx, mutate(raw)); !errs.Is(err, errs.NotFound) {
			t.Fatalf("wrong link: %v", err)
		}
		_, _, err = e.svc.CompleteSetup(e.ctx, raw, "root", "short", "r")
		wantKind(t, err, errs.Invalid, "short password")

		// Two concurrent uses: exactly one wins.
		var wg sync.WaitGroup
		results := make([]error, 2)
		users := make([]User, 2)
		logins := make([]LoginResult, 2)
		for i := range 2 {
			wg.Go(func() {
				users[i], logins[i], results[i] = e.svc.CompleteSetup(e.ctx, raw, []string{"root", "boss"}[i], goodPassword, "req-setup")
			})
		}
		wg.Wait()
		won := -1
		for i, err := range results {
			if err == nil {
				if won >= 0 {
					t.Fatal("setup link used twice")
				}
				won = i
			} else if !errs.Is(err, errs.NotFound) && !errs.Is(err, errs.Conflict) {
				t.Fatalf("losing setup: %v", err)
			}
		}
		if won < 0 {
			t.Fatalf("no setup succeeded: %v", results)
		}
		u, lr := users[won], logins[won]
		if u.Role != authz.Admin || u.Demo || lr.Stage != authz.StageEnrol {
			t.Fatalf("first admin %+v, %+v", u, lr)
		}
		if p := e.auth(lr.Token); p.UserID != u.ID || p.Stage != authz.StageEnrol {
			t.Fatalf("setup session %+v", p)
		}
		if en := e.lastEntry(tn.ID, "setup.complete"); en.ActorID != u.ID || en.RequestID != "req-setup" {
			t.Fatalf("setup audit %+v", en)
		}
		if _, err := e.svc.CheckSetupLink(e.ctx, raw); !errs.Is(err, errs.NotFound) {
			t.Fatalf("used link: %v", err)
		}
		// No new links once the tenant has users.
		_, err = e.svc.CreateSetupLink(e.ctx, tn.ID, time.Hour)
		wantKind(t, err, errs.Conflict, "link for tenant with users")

		// Links expire.
		t2 := e.tenant("beta", false)
		raw2, err := e.svc.CreateSetupLink(e.ctx, t2.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour + time.Second)
		if _, _, err := e.svc.CompleteSetup(e.ctx, raw2, "root", goodPassword, "r"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("expired link: %v", err)
		}
		_, err = e.svc.CreateSetupLink(e.ctx, "no-such-tenant", time.Hour)
		wantKind(t, err, errs.NotFound, "link for unknown tenant")
	})
}
