// Package ratelimit limits how often one client address may do something, in memory
// only. Addresses are never written anywhere and are held only as keyed hashes, so
// neither the database nor a memory dump lists who came: the sign-in throttle and the
// anonymous audience survey both rely on that.
//
// Each address has a token bucket: Burst tokens, refilled at Burst per Per. Buckets
// that have refilled are forgotten, since they hold no information any more.
package ratelimit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net/netip"
	"sync"
	"time"
)

// MaxAddresses bounds a limiter's memory. When that many addresses are metered, new
// ones pass unmetered: an attacker with that many addresses gets a fresh bucket per
// address anyway, so refusing them would only shut out everyone else. Callers keep
// a second, address-free limit (per account, per survey link) for that case.
const MaxAddresses = 1 << 16

// Limiter is a token bucket per client address. It is safe for concurrent use.
type Limiter struct {
	mu        sync.Mutex
	key       []byte
	burst     float64
	per       time.Duration
	buckets   map[[16]byte]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter letting each address spend burst requests at once, refilled
// at burst per per (New(key, 30, time.Minute): 30 a minute). key is the HMAC key
// that hides the addresses; nil picks a random one, which suits a limiter that lives
// as long as the process. It panics on a non-positive burst or period: a wiring
// fault to catch at start-up.
func New(key []byte, burst int, per time.Duration) *Limiter {
	if burst <= 0 || per <= 0 {
		panic("ratelimit.New: burst and period must be positive")
	}
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	return &Limiter{key: append([]byte(nil), key...), burst: float64(burst), per: per,
		buckets: map[[16]byte]*bucket{}}
}

// Allow takes one token from address's bucket and reports whether there was one.
// address is a client address as http.Request.RemoteAddr gives it ("192.0.2.1:4321",
// "[2001:db8::1]:443") or a bare IP; anything else is metered as an opaque string.
func (l *Limiter) Allow(address string, now time.Time) bool {
	id := l.addressID(address)
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.per {
		l.sweep(now)
	}
	b := l.buckets[id]
	if b == nil {
		if len(l.buckets) >= MaxAddresses {
			return true
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[id] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Len is the number of addresses being metered, for tests and metrics.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// addressID reduces an address to its limiting unit and hashes it. An IPv6 /64 is
// one client (one home or phone usually gets a whole /64), an IPv4-mapped address is
// its IPv4 address, and the port and zone are ignored.
func (l *Limiter) addressID(address string) [16]byte {
	norm := address
	if ap, err := netip.ParseAddrPort(address); err == nil {
		norm = unit(ap.Addr())
	} else if a, err := netip.ParseAddr(address); err == nil {
		norm = unit(a)
	}
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(norm))
	var id [16]byte
	copy(id[:], m.Sum(nil))
	return id
}

func unit(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

func (l *Limiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.burst, b.tokens+l.burst*float64(d)/float64(l.per))
	}
	b.at = now
}

// sweep forgets buckets that have refilled.
func (l *Limiter) sweep(now time.Time) {
	for id, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, id)
		}
	}
	l.lastSweep = now
}
