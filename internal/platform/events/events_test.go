package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

func tenants(t *testing.T, db *store.DB, ids ...string) {
	t.Helper()
	ctx := context.Background()
	for _, id := range ids {
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, id, id, id, 1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func appendOne(t *testing.T, db *store.DB, tenant, kind, subject string, n int) Event {
	t.Helper()
	var e Event
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		e, err = Append(context.Background(), tx, Event{TenantID: tenant, Kind: kind, Subject: subject,
			Payload: json.RawMessage(fmt.Sprintf(`{"returnee": %q, "version": %d}`, subject, n))})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func count(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRow(context.Background(), `SELECT COUNT(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOutboxCommitsAndRollsBackWithTheChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenants(t, db, "tenant-a")
		boom := errors.New("the change failed")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := Append(ctx, tx, Event{TenantID: "tenant-a", Kind: "consent.withdrawn", Subject: "r-1"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := count(t, db); n != 0 {
			t.Fatalf("a rolled-back event stayed in the outbox: %d rows", n)
		}
		e1 := appendOne(t, db, "tenant-a", "consent.withdrawn", "r-1", 2)
		e2 := appendOne(t, db, "tenant-a", "consent.changed", "r-2", 1)
		// The rolled-back append consumed no seq: seqs are gap-free.
		if e1.Seq != 1 || e2.Seq != 2 {
			t.Fatalf("seqs %d, %d; want 1, 2", e1.Seq, e2.Seq)
		}
		if string(e1.Payload) != `{"returnee":"r-1","version":2}` || e1.At.IsZero() {
			t.Fatalf("stored event %+v", e1)
		}
		got, err := List(ctx, db.Reader(), "tenant-a", 0, 10)
		if err != nil || len(got) != 2 || got[0].Seq != 1 || got[1].Kind != "consent.changed" || !got[0].At.Equal(e1.At) {
			t.Fatalf("list %+v, %v", got, err)
		}
	})
}

func TestPublishAfterCommitReachesSubscribersOfTheKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenants(t, db, "tenant-a")
		bus := NewBus(db)
		var mu sync.Mutex
		var got []string
		record := func(name string) Handler {
			return func(ctx context.Context, e Event) error {
				// Delivered after commit: the event is already visible to other readers.
				var n int
				if err := db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM events WHERE seq = ?`, e.Seq).Scan(&n); err != nil || n != 1 {
					return fmt.Errorf("event %d not committed before delivery (%d rows, %v)", e.Seq, n, err)
				}
				mu.Lock()
				defer mu.Unlock()
				got = append(got, fmt.Sprintf("%s:%s:%d", name, e.Kind, e.Seq))
				return nil
			}
		}
		bus.Subscribe("consent.withdrawn", record("takedown"))
		bus.Subscribe("consent.withdrawn", func(context.Context, Event) error { return errors.New("subscriber down") })
		bus.Subscribe("consent.withdrawn", func(context.Context, Event) error { panic("subscriber bug") })
		bus.Subscribe("consent.withdrawn", record("notify"))
		bus.Subscribe("consent.changed", record("review"))

		e := appendOne(t, db, "tenant-a", "consent.withdrawn", "r-1", 3)
		err := bus.Publish(ctx, e)
		// Failing and panicking subscribers are reported; the others still got it.
		if err == nil || !strings.Contains(err.Error(), "subscriber down") || !strings.Contains(err.Error(), "panic: subscriber bug") {
			t.Fatalf("publish error %v", err)
		}
		if want := []string{"takedown:consent.withdrawn:1", "notify:consent.withdrawn:1"}; !slices.Equal(got, want) {
			t.Fatalf("delivered %v, want %v", got, want)
		}
		var nilBus *Bus
		if err := nilBus.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRedeliverInOrderFromASeqAndStopsAtAFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenants(t, db, "tenant-a", "tenant-b")
		// More than one batch, two tenants, two kinds.
		const total = redeliverBatch + 44
		for i := 1; i <= total; i++ {
			kind, tenant := "consent.changed", "tenant-a"
			if i%3 == 0 {
				kind = "consent.withdrawn"
			}
			if i%2 == 0 {
				tenant = "tenant-b"
			}
			appendOne(t, db, tenant, kind, fmt.Sprintf("r-%d", i), i)
		}
		bus := NewBus(db)
		var seen []int64
		failAt := int64(-1)
		h := func(_ context.Context, e Event) error {
			if e.Seq == failAt {
				return errors.New("takedown service unavailable")
			}
			seen = append(seen, e.Seq)
			return nil
		}
		bus.Subscribe("consent.changed", h)
		bus.Subscribe("consent.withdrawn", h)

		last, err := bus.Redeliver(ctx, 0)
		if err != nil || last != total || len(seen) != total {
			t.Fatalf("redeliver from 0: last %d, %d delivered, %v", last, len(seen), err)
		}
		for i, s := range seen {
			if s != int64(i+1) {
				t.Fatalf("delivered out of order at %d: %d", i, s)
			}
		}

		seen, failAt = nil, 280
		last, err = bus.Redeliver(ctx, 250)
		if err == nil || last != 279 || len(seen) != 29 || seen[0] != 251 {
			t.Fatalf("redeliver with a failure at 280: last %d, seen %d from %v, %v", last, len(seen), seen[:1], err)
		}
		// The caller retries from where it stopped once the subscriber is back.
		seen, failAt = nil, -1
		last, err = bus.Redeliver(ctx, last)
		if err != nil || last != total || len(seen) != total-279 || seen[0] != 280 {
			t.Fatalf("retry: last %d, %d delivered, %v", last, len(seen), err)
		}
		// Nothing new: since stays.
		if last, err := bus.Redeliver(ctx, total); err != nil || last != total {
			t.Fatalf("nothing to redeliver: %d, %v", last, err)
		}
		// Per-tenant listing never shows another tenant's events.
		evs, err := List(ctx, db.Reader(), "tenant-b", 0, 1000)
		if err != nil || len(evs) != total/2 {
			t.Fatalf("tenant B events: %d, %v", len(evs), err)
		}
		for _, e := range evs {
			if e.TenantID != "tenant-b" {
				t.Fatalf("tenant B listed %+v", e)
			}
		}
	})
}

func TestConcurrentAppendsAreGapFree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenants(t, db, "tenant-a")
		const workers, each = 6, 10
		var wg sync.WaitGroup
		errc := make(chan error, workers*each)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					errc <- db.InTx(ctx, func(tx *store.Tx) error {
						_, err := Append(ctx, tx, Event{TenantID: "tenant-a", Kind: "consent.changed", Subject: fmt.Sprintf("r-%d-%d", w, i)})
						return err
					})
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n, maxSeq int64
		if err := db.Reader().QueryRow(ctx, `SELECT COUNT(*), MAX(seq) FROM events`).Scan(&n, &maxSeq); err != nil {
			t.Fatal(err)
		}
		if n != workers*each || maxSeq != n {
			t.Fatalf("%d events, max seq %d", n, maxSeq)
		}
	})
}

func TestAppendRefusesContent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenants(t, db, "tenant-a")
		cases := []struct {
			name string
			e    Event
		}{
			{"bad kind", Event{TenantID: "tenant-a", Kind: "Withdrawn", Subject: "r-1"}},
			{"no tenant", Event{Kind: "consent.withdrawn", Subject: "r-1"}},
			{"subject with a space", Event{TenantID: "tenant-a", Kind: "consent.withdrawn", Subject: "Ahmed K"}},
			{"a sentence", Event{TenantID: "tenant-a", Kind: "consent.withdrawn", Subject: "r-1", Payload: json.RawMessage(`{"reason": "he fears for his family"}`)}},
			{"nested", Event{TenantID: "tenant-a", Kind: "consent.withdrawn", Subject: "r-1", Payload: json.RawMessage(`{"who": {"id": "x"}}`)}},
			{"array", Event{TenantID: "tenant-a", Kind: "consent.withdrawn", Subject: "r-1", Payload: json.RawMessage(`["r-1"]`)}},
			{"trailing data", Event{TenantID: "tenant-a", Kind: "consent.withdrawn", Subject: "r-1", Payload: json.RawMessage(`{} {}`)}},
			{"bad key", Event{TenantID: "tenant-a", Kind: "consent.withdrawn", Subject: "r-1", Payload: json.RawMessage(`{"Legal Name": 1}`)}},
		}
		for _, c := range cases {
			err := db.InTx(ctx, func(tx *store.Tx) error { _, err := Append(ctx, tx, c.e); return err })
			if err == nil {
				t.Errorf("%s: accepted", c.name)
			}
		}
		if n := count(t, db); n != 0 {
			t.Fatalf("%d refused events stored", n)
		}
	})
}

func TestSubscribeRefusesBadKind(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Subscribe accepted a malformed kind")
		}
	}()
	NewBus(nil).Subscribe("withdrawn", func(context.Context, Event) error { return nil })
}

// FuzzCheckPayload: never panics; what it accepts is a flat JSON object of ids,
// numbers, booleans and nulls, compacted, within the limits.
func FuzzCheckPayload(f *testing.F) {
	for _, s := range []string{`{}`, `{"returnee":"r-1","version":3}`, `{"a":true,"b":null}`, `{"x":"two words"}`,
		`{"x":{"y":1}}`, `[1]`, `"s"`, `{"a":1} x`, ` { "a" : 1 } `, `{"a":"\u0000"}`, `{"a":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := checkPayload(b)
		if err != nil {
			return
		}
		if len(b) > 0 && len(out) > len(b) {
			t.Fatalf("compaction grew %q to %q", b, out)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(out, &m); err != nil || m == nil {
			t.Fatalf("accepted %q, not an object: %v", b, err)
		}
		for k, v := range m {
			if !keyPattern.MatchString(k) {
				t.Fatalf("accepted key %q", k)
			}
			switch v[0] {
			case '{', '[':
				t.Fatalf("accepted nested value %s", v)
			case '"':
				var s string
				if err := json.Unmarshal(v, &s); err != nil || !idPattern.MatchString(s) {
					t.Fatalf("accepted string %s", v)
				}
			}
		}
	})
}
