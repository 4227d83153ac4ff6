package auth

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// The production cost, read back from the stored PHC string (P10).
func TestArgonParamsReadBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.svc.argon = New(db, e.vault, e.log, bytes.Repeat([]byte{1}, 32), Config{}).argon // the defaults
		tn := e.tenant("acme", false)
		u := e.user(tn.ID, "alice", authz.CaseWorker, false)
		var stored string
		if err := db.Reader().QueryRow(e.ctx, "SELECT password_hash FROM users WHERE id = ?", u.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(stored) {
			t.Fatalf("stored hash %q is not a PHC argon2id string with the default cost", stored)
		}
		h, err := parsePHC(stored)
		if err != nil {
			t.Fatal(err)
		}
		if h.params.Memory < 64*1024 || h.params.Time < 3 || h.params.Threads != 2 || len(h.key) != 32 || len(h.salt) != 16 {
			t.Fatalf("params %+v below SECURITY.md P10", h.params)
		}
		if strings.Contains(stored, goodPassword) {
			t.Fatal("password in stored hash")
		}
		ok, rehash, err := e.svc.verifyPassword(e.ctx, stored, goodPassword)
		if err != nil || !ok || rehash {
			t.Fatalf("verify correct: ok=%v rehash=%v err=%v", ok, rehash, err)
		}
		if ok, _, _ := e.svc.verifyPassword(e.ctx, stored, goodPassword+" "); ok {
			t.Fatal("verify accepted a longer password")
		}
		if ok, _, _ := e.svc.verifyPassword(e.ctx, stored, goodPassword[:len(goodPassword)-1]); ok {
			t.Fatal("verify accepted a truncated password")
		}
	})
}

// A weaker configured cost is raised to the floor.
func TestArgonFloor(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	s := New(db, e.vault, e.log, bytes.Repeat([]byte{1}, 32), Config{Argon: ArgonParams{Memory: 1024, Time: 1, Threads: 1, KeyLen: 16, SaltLen: 8}})
	if s.argon.Memory < 64*1024 || s.argon.Time < 3 || s.argon.KeyLen < 32 || s.argon.SaltLen < 16 {
		t.Fatalf("argon %+v below the floor", s.argon)
	}
	if cap(s.hashSem) != runtime.NumCPU() {
		t.Fatalf("hash semaphore %d, want NumCPU %d", cap(s.hashSem), runtime.NumCPU())
	}
}

// Stored hashes of an older, cheaper cost are upgraded at the next successful login.
func TestRehashOnLogin(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	tn := e.tenant("acme", true)
	u := e.user(tn.ID, "alice", authz.CaseWorker, true)
	e.svc.argon = ArgonParams{Memory: 128, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}
	e.mustLogin("acme", "alice", authz.StageFull)
	var stored string
	if err := db.Reader().QueryRow(e.ctx, "SELECT password_hash FROM users WHERE id = ?", u.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stored, "m=128,t=2,p=1") {
		t.Fatalf("hash not upgraded: %s", stored)
	}
	e.mustLogin("acme", "alice", authz.StageFull)
}

// The semaphore bounds concurrent hashes: with every slot taken, a hash waits (and
// gives up with its context) instead of allocating another 64 MiB.
func TestHashSemaphoreBounds(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	for range cap(e.svc.hashSem) {
		e.svc.hashSem <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	before := e.svc.hashes.Load()
	if _, err := e.svc.hashPassword(ctx, goodPassword); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hash with full semaphore: %v, want deadline exceeded", err)
	}
	if e.svc.hashes.Load() != before {
		t.Fatal("hash ran past a full semaphore")
	}
	for range cap(e.svc.hashSem) {
		<-e.svc.hashSem
	}
	if _, err := e.svc.hashPassword(context.Background(), goodPassword); err != nil {
		t.Fatal(err)
	}
}

func TestPHCRoundTripAndRejects(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	s, err := e.svc.hashPassword(context.Background(), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	h, err := parsePHC(s)
	if err != nil {
		t.Fatal(err)
	}
	if formatPHC(h) != s {
		t.Fatalf("round trip: %s != %s", formatPHC(h), s)
	}
	good := "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	if _, err := parsePHC(good); err != nil {
		t.Fatalf("parse %s: %v", good, err)
	}
	for _, bad := range []string{
		"",
		"$argon2i$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=16$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=0,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=99999999,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$t=3,m=65536,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=065536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=3,p=2$c2Fs$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFz",
		"$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g$",
	} {
		if _, err := parsePHC(bad); err == nil {
			t.Errorf("parsePHC(%q) accepted", bad)
		}
	}
	// A damaged stored hash never verifies, and still costs one hash.
	before := e.svc.hashes.Load()
	if ok, _, err := e.svc.verifyPassword(context.Background(), "garbage", goodPassword); ok || err != nil {
		t.Fatalf("garbage hash: ok=%v err=%v", ok, err)
	}
	if e.svc.hashes.Load() != before+1 {
		t.Fatal("garbage hash did not spend a dummy hash")
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		// Accepted strings are canonical and within bounds.
		if got := formatPHC(h); got != s {
			t.Fatalf("accepted non-canonical %q (canonical %q)", s, got)
		}
		p := h.params
		if p.Memory > maxArgonMemory || p.Time < 1 || p.Time > maxArgonTime || p.Threads < 1 ||
			len(h.salt) < minSaltLen || len(h.salt) > maxSaltLen || len(h.key) < minKeyLen || len(h.key) > maxKeyLen {
			t.Fatalf("accepted out-of-bounds %+v", p)
		}
	})
}

func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		name, pw, key string
	}{
		{"alice", "abcdefghijk", "error.password_too_short"},
		{"alice", strings.Repeat("é", 11), "error.password_too_short"}, // 22 bytes, 11 runes
		{"alice", strings.Repeat("é", 12), ""},
		{"alice", strings.Repeat("x", 1025), "error.password_too_long"},
		{"alice", strings.Repeat("x", 1024), ""},
		{"alice", "my-ALICE-password", "error.password_contains_name"},
		{"alice", "\xff\xfe invalid utf8 here", "error.password_invalid"},
		{"alice", "            ", ""}, // no composition rules
	} {
		err := validatePassword(c.name, c.pw)
		if c.key == "" {
			if err != nil {
				t.Errorf("%q rejected: %v", c.pw, err)
			}
			continue
		}
		wantKind(t, err, errs.Invalid, c.pw)
		if got := msgKey(err); got != c.key {
			t.Errorf("%q: key %s, want %s", c.pw, got, c.key)
		}
	}
}

// BenchmarkPasswordHash measures one hash at the production cost.
func BenchmarkPasswordHash(b *testing.B) {
	e := newEnv(b, storetest.SQLite(b))
	s := New(e.db, e.vault, e.log, bytes.Repeat([]byte{1}, 32), Config{}) // production cost
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.hashPassword(ctx, goodPassword); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
}
