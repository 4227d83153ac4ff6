package ratelimit

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Unix(1e9, 0)

func TestBurstThenRefill(t *testing.T) {
	l := New([]byte("k"), 3, time.Minute)
	for i := range 3 {
		if !l.Allow("192.0.2.1:1000", t0) {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	if l.Allow("192.0.2.1:2000", t0) {
		t.Fatal("fourth request at once allowed (another port of the same address)")
	}
	if !l.Allow("192.0.2.2", t0) {
		t.Fatal("another address refused")
	}
	// A third of the period gives back one token, not more.
	if !l.Allow("192.0.2.1", t0.Add(20*time.Second)) {
		t.Fatal("no token after a third of the period")
	}
	if l.Allow("192.0.2.1", t0.Add(20*time.Second)) {
		t.Fatal("two tokens after a third of the period")
	}
	// A full period refills the bucket, but never beyond the burst.
	at := t0.Add(time.Hour)
	for i := range 3 {
		if !l.Allow("192.0.2.1", at) {
			t.Fatalf("request %d refused after refilling", i+1)
		}
	}
	if l.Allow("192.0.2.1", at) {
		t.Fatal("bucket refilled beyond its burst")
	}
}

// One client is one unit: an IPv6 /64, an IPv4 address however it is written.
func TestAddressUnits(t *testing.T) {
	l := New([]byte("k"), 1, time.Minute)
	same := [][2]string{
		{"[2001:db8:1:2::1]:443", "2001:db8:1:2:ffff::9"},
		{"[fe80::1%eth0]:80", "fe80::2"},
		{"198.51.100.7:1", "[::ffff:198.51.100.7]:2"},
		{"not an address", "not an address"},
	}
	for _, p := range same {
		if !l.Allow(p[0], t0) {
			t.Fatalf("%s refused at first", p[0])
		}
		if l.Allow(p[1], t0) {
			t.Fatalf("%s is not metered with %s", p[1], p[0])
		}
	}
	if !l.Allow("2001:db8:1:3::1", t0) {
		t.Fatal("another /64 shares a bucket")
	}
}

// Addresses are kept only as keyed hashes, and the key matters.
func TestNoAddressInClear(t *testing.T) {
	l := New([]byte("k"), 5, time.Minute)
	l.Allow("203.0.113.9:4444", t0)
	l.Allow("[2001:db8::1]:1", t0)
	for id := range l.buckets {
		for _, s := range []string{"203.0.113", "2001:db8", "203", "\xcb\x00\x71\x09"} {
			if bytes.Contains(id[:], []byte(s)) {
				t.Fatalf("bucket id %x holds %q", id, s)
			}
		}
	}
	if New([]byte("k"), 1, time.Minute).addressID("203.0.113.9") == New([]byte("other"), 1, time.Minute).addressID("203.0.113.9") {
		t.Fatal("the id does not depend on the key")
	}
	first, second := New(nil, 1, time.Minute), New(nil, 1, time.Minute)
	if first.addressID("x") == second.addressID("x") {
		t.Fatal("nil keys are not random")
	}
}

func TestSweepAndCap(t *testing.T) {
	l := New([]byte("k"), 2, time.Minute)
	for i := range MaxAddresses {
		l.Allow(fmt.Sprint(i), t0)
	}
	if l.Len() != MaxAddresses {
		t.Fatalf("%d buckets", l.Len())
	}
	if !l.Allow("new address", t0) {
		t.Fatal("a full table refused a new address")
	}
	if l.Len() != MaxAddresses {
		t.Fatal("a full table grew")
	}
	l.Allow("x", t0.Add(2*time.Minute)) // sweeps the refilled buckets
	if l.Len() != 1 {
		t.Fatalf("%d buckets after the sweep, want 1", l.Len())
	}
	// A bucket still short of tokens survives the sweep.
	l2 := New([]byte("k"), 10, time.Hour)
	l2.Allow("early", t0) // sweeps nothing, starts the clock
	for range 10 {
		l2.Allow("busy", t0.Add(50*time.Minute))
	}
	l2.Allow("late", t0.Add(61*time.Minute)) // sweeps: "early" has refilled, "busy" has not
	if l2.Len() != 2 {
		t.Fatalf("%d buckets, want 2 (busy and late)", l2.Len())
	}
	if l2.Allow("busy", t0.Add(61*time.Minute)) == false {
		t.Fatal("busy forgot its refill")
	}
}

// Concurrent requests from one address never get more than the burst.
func TestConcurrent(t *testing.T) {
	l := New(nil, 50, time.Hour)
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if l.Allow("192.0.2.1", t0) {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 50 {
		t.Fatalf("%d allowed, want 50", allowed)
	}
}

func TestNewRefusesNonsense(t *testing.T) {
	for _, c := range []struct {
		burst int
		per   time.Duration
	}{{0, time.Minute}, {1, 0}, {-1, time.Second}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d, %v) did not panic", c.burst, c.per)
				}
			}()
			New(nil, c.burst, c.per)
		}()
	}
}
