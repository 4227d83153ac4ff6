package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"inoculate/internal/platform/audit"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/ratelimit"
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

// addrLimiter is the per-address limit on sign-in attempts: AddressLimit a minute,
// in memory only, with addresses held as HMACs (package ratelimit). It counts every
// attempt, successful or not.
type addrLimiter struct{ l *ratelimit.Limiter }

func newAddrLimiter(key []byte, limit int) *addrLimiter {
	return &addrLimiter{l: ratelimit.New(key, limit, time.Minute)}
}

// allow takes one token from the address's bucket.
func (a *addrLimiter) allow(address string, now time.Time) bool { return a.l.Allow(address, now) }
