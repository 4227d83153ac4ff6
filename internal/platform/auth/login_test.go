package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// P11: unknown tenant, unknown user, disabled user (right password) and wrong password
// give the same error, and each spends exactly one argon2 run.
func TestLoginNoEnumeration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("acme", false)
		e.user(tn.ID, "admin", authz.Admin, false)
		e.user(tn.ID, "alice", authz.CaseWorker, false)
		bob := e.user(tn.ID, "bob", authz.CaseWorker, false)
		if err := e.svc.Disable(e.ctx, cli, tn.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		cases := []struct{ what, slug, name, pw string }{
			{"unknown tenant", "nowhere", "alice", goodPassword},
			{"unknown user", "acme", "mallory", goodPassword},
			{"disabled user", "acme", "bob", goodPassword},
			{"wrong password", "acme", "alice", "wrong password here"},
			{"overlong name", "acme", strings.Repeat("a", 500), goodPassword},
		}
		var first string
		for _, c := range cases {
			before := e.svc.hashes.Load()
			_, err := e.login(c.slug, c.name, c.pw)
			wantKind(t, err, errs.Unauthorized, c.what)
			if msgKey(err) != "error.login_failed" {
				t.Fatalf("%s: key %q", c.what, msgKey(err))
			}
			if first == "" {
				first = err.Error()
			} else if err.Error() != first {
				t.Fatalf("%s: message %q differs from %q", c.what, err.Error(), first)
			}
			if n := e.svc.hashes.Load() - before; n != 1 {
				t.Fatalf("%s: %d argon2 runs, want exactly 1", c.what, n)
			}
		}
		// Audit: failed, opaque ids only; the unknown user has no actor.
		got := e.lastEntry(tn.ID, "auth.login")
		if got.Result != "failed" || got.ActorID == "" {
			t.Fatalf("wrong-password entry %+v", got)
		}
		var unknown bool
		for _, en := range e.entries(tn.ID) {
			if en.Action == "auth.login" && en.Result == "failed" && en.ActorID == "" {
				unknown = true
			}
		}
		if !unknown {
			t.Fatal("no failed login with empty actor for the unknown user")
		}
		if en := e.lastEntry("", "auth.login"); en.Result != "failed" || en.ActorID != "" {
			t.Fatalf("unknown-tenant entry %+v", en)
		}
		leaves := e.auditLeaves()
		for _, canary := range []string{"mallory", "nowhere", goodPassword, "wrong password", "192.0.2.1", `"alice"`, `"bob"`} {
			if strings.Contains(leaves, canary) {
				t.Fatalf("audit log contains %q", canary)
			}
		}
	})
}

// P12: the 6th attempt within 60 s is refused for known and unknown accounts alike
// (even with the right password); after 60 s it is allowed again. No name is stored.
func TestAccountThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tn := e.tenant("acme", true)
		e.user(tn.ID, "alice", authz.CaseWorker, true)
		for _, name := range []string{"alice", "ghost"} {
			for i := range 5 {
				_, err := e.login("acme", name, "wrong password here")
				wantKind(t, err, errs.Unauthorized, fmt.Sprintf("%s attempt %d", name, i+1))
				e.clock.Advance(time.Second)
			}
			_, err := e.login("acme", strings.ToUpper(name), goodPassword) // case does not escape the key
			wantKind(t, err, errs.TooMany, name+" 6th attempt")
			if msgKey(err) != "error.too_many_attempts" || !strings.Contains(err.Error(), "wait a minute") {
				t.Fatalf("throttle error %q", err)
			}
		}
		if en := e.lastEntry(tn.ID, "auth.login"); en.Result != "denied" {
			t.Fatalf("throttled attempt audited as %+v", en)
		}
		// No user names in the table: only HMAC keys.
		mac := hmac.New(sha256.New, e.svc.secret)
		mac.Write([]byte("acme\x00alice"))
		if n := e.count("SELECT COUNT(*) FROM login_failures WHERE account_key = ?", mac.Sum(nil)); n != 5 {
			t.Fatalf("alice failures under HMAC key: %d, want 5", n)
		}
		if n := e.count("SELECT COUNT(*) FROM login_failures WHERE account_key = ?", []byte("acme\x00alice")); n != 0 {
			t.Fatal("plain account name stored")
		}
		e.clock.Advance(61 * time.Second)
		e.mustLogin("acme", "alice", authz.StageFull)
		// A success does not count: five more failures are needed to throttle again.
		for range 4 {
			e.login("acme", "alice", "wrong password here")
		}
		e.mustLogin("acme", "alice", authz.StageFull)
		// Old rows are pruned.
		e.clock.Advance(2 * time.Minute)
		e.login("acme", "someone", "x")
		if n := e.count("SELECT COUNT(*) FROM login_failures"); n != 1 {
			t.Fatalf("%d rows after prune, want 1", n)
		}
	})
}

// Concurrent guesses cannot slip past the count while others are hashing.
func TestAccountThrottleConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.svc.addr = newAddrLimiter([]byte("k"), 1000)
		tn := e.tenant("acme", false)
		e.user(tn.ID, "alice", authz.CaseWorker, false)
		var mu sync.Mutex
		tried := 0
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				_, err := e.svc.Login(e.ctx, "acme", "alice", "wrong password here", fmt.Sprintf("198.51.100.%d", i), "")
				if errs.Is(err, errs.Unauthorized) {
					mu.Lock()
					tried++
					mu.Unlock()
				} else if !errs.Is(err, errs.TooMany) {
					t.Errorf("attempt: %v", err)
				}
			})
		}
		wg.Wait()
		if tried != 5 {
			t.Fatalf("%d guesses checked, want exactly 5", tried)
		}
	})
}

// The per-address limit counts every attempt, keeps no address, groups an IPv6 /64
// and recovers after a minute.
func TestAddressLimit(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db, func(c *Config) { c.AddressLimit = 30 })
	tn := e.tenant("acme", true)
	e.user(tn.ID, "alice", authz.CaseWorker, true)
	try := func(addr string, i int) error {
		name := fmt.Sprintf("user%d", i) // distinct accounts: only the address limit applies
		if i%2 == 0 {
			_, err := e.svc.Login(e.ctx, "acme", "alice", goodPassword, addr, "")
			return err
		}
		_, err := e.svc.Login(e.ctx, "acme", name, "wrong password here", addr, "")
		return err
	}
	for i := range 30 {
		if err := try("203.0.113.9:4444", i); errs.Is(err, errs.TooMany) {
			t.Fatalf("attempt %d throttled", i+1)
		}
	}
	wantKind(t, try("203.0.113.9:5555", 31), errs.TooMany, "31st attempt from the address")
	if err := try("203.0.113.10", 33); errs.Is(err, errs.TooMany) {
		t.Fatal("another address throttled")
	}
	for i := range 30 {
		try(fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1), 2*i)
	}
	wantKind(t, try("2001:db8:1:2:ffff::1", 40), errs.TooMany, "same IPv6 /64")
	e.clock.Advance(time.Minute)
	if err := try("203.0.113.9", 42); errs.Is(err, errs.TooMany) {
		t.Fatal("address still throttled after a minute")
	}
	// That addresses are kept only as keyed hashes is ratelimit's own test.
}
