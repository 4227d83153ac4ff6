package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Account throttling (SECURITY.md P12). Every password or code attempt first reserves a
// row in login_failures under the account key; a success deletes its row again, a
// failure leaves it. Counting before checking (rather than recording after) keeps a
// burst of concurrent guesses from all passing the count while the first is still
// hashing: the count and the insert run under one lock per account key.

// accountKey names an account in login_failures without storing its name:
// HMAC-SHA256(secret, slug + "\x00" + lower-case name). Unknown accounts get keys too,
// so throttling does not tell which accounts exist.
func (s *Service) accountKey(slug, name string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(normName(slug) + "\x00" + normName(name)))
	return m.Sum(nil)
}

// reservation is one counted attempt, identified by its key and its (per-key unique)
// time in milliseconds.
type reservation struct {
	key []byte
	at  int64
}

// reserve counts an attempt against key. When MaxFailures attempts already fall within
// FailureWindow it records denied (an audit entry, Result "denied") and returns
// TooMany; otherwise it inserts the attempt and returns it for release on success.
func (s *Service) reserve(ctx context.Context, key []byte, denied audit.Entry) (reservation, error) {
	now := s.now()
	s.prune(ctx, now)
	nowMs := store.Millis(now)
	cutoff := store.Millis(now.Add(-s.cfg.FailureWindow))
	var r reservation
	throttled := false
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			// SQLite write transactions are exclusive already; PostgreSQL needs a lock
			// per account so count-then-insert cannot interleave.
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(?)", int64(binary.BigEndian.Uint64(key))); err != nil {
				return fmt.Errorf("auth: lock account key: %w", err)
			}
		}
		var n int
		var last int64
		err := tx.QueryRow(ctx, "SELECT COUNT(*), COALESCE(MAX(at), 0) FROM login_failures WHERE account_key = ? AND at > ?", key, cutoff).Scan(&n, &last)
		if err != nil {
			return fmt.Errorf("auth: count login failures: %w", err)
		}
		if n >= s.cfg.MaxFailures {
			throttled = true
			denied.Result = "denied"
			return s.appendAudit(ctx, tx, denied)
		}
		// Unique per key (the lock serialises us), so release deletes exactly this row.
		at := max(nowMs, last+1)
		if _, err := tx.Exec(ctx, "INSERT INTO login_failures (account_key, at) VALUES (?, ?)", key, at); err != nil {
			return fmt.Errorf("auth: record attempt: %w", err)
		}
		r = reservation{key: key, at: at}
		return nil
	})
	if err != nil {
		return reservation{}, errs.Wrap(err, "throttle")
	}
	if throttled {
		return reservation{}, errTooMany()
	}
	return r, nil
}

// release removes a successful attempt from the count, inside the success transaction.
func release(ctx context.Context, tx *store.Tx, r reservation) error {
	if _, err := tx.Exec(ctx, "DELETE FROM login_failures WHERE account_key = ? AND at = ?", r.key, r.at); err != nil {
		return fmt.Errorf("auth: release attempt: %w", err)
	}
	return nil
}

// addrLimiter is a token bucket per client address, in memory only: addresses are
// never written anywhere, and are held only as HMACs so a memory dump does not list
// them either. It counts every login attempt, successful or not.
type addrLimiter struct {
	mu        sync.Mutex
	key       []byte
	limit     float64 // bucket size, and refill per minute
	buckets   map[[16]byte]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the limiter's memory. When full, new addresses pass unmetered: an
// attacker with that many addresses gets a fresh bucket per address anyway, and the
// account throttle and the hash semaphore still hold.
const maxBuckets = 1 << 16

func newAddrLimiter(key []byte, limit int) *addrLimiter {
	return &addrLimiter{key: key, limit: float64(limit), buckets: map[[16]byte]*bucket{}}
}

// addrID reduces an address to its limiting unit (an IPv6 /64 is one client, a port is
// ignored) and hashes it.
func (l *addrLimiter) addrID(address string) [16]byte {
	norm := address
	if ap, err := netip.ParseAddrPort(address); err == nil {
		norm = normAddr(ap.Addr())
	} else if a, err := netip.ParseAddr(address); err == nil {
		norm = normAddr(a)
	}
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(norm))
	var id [16]byte
	copy(id[:], m.Sum(nil))
	return id
}

func normAddr(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// allow takes one token from the address's bucket.
func (l *addrLimiter) allow(address string, now time.Time) bool {
	id := l.addrID(address)
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= time.Minute {
		l.sweep(now)
	}
	b := l.buckets[id]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			return true
		}
		b = &bucket{tokens: l.limit, at: now}
		l.buckets[id] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *addrLimiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.limit, b.tokens+l.limit*d.Minutes())
	}
	b.at = now
}

// sweep forgets buckets that have refilled: they hold no information any more.
func (l *addrLimiter) sweep(now time.Time) {
	for id, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.limit {
			delete(l.buckets, id)
		}
	}
	l.lastSweep = now
}
