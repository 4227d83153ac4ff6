// Package events lets one capability tell others that something happened, without
// either knowing the other's tables: a transactional outbox plus a small in-process bus.
//
// The writer calls Append inside the transaction of the change, so the event commits
// or rolls back with it; after the commit it calls Bus.Publish, which runs the
// subscribers of that kind in the caller's goroutine. If the process dies between the
// commit and the delivery, the event is still in the outbox and Bus.Redeliver hands it
// out again. Delivery is therefore at least once: subscribers must be idempotent
// (a takedown task created twice for the same publication is one task).
//
// Payloads are flat JSON objects of opaque ids, numbers and booleans only — the
// outbox is not encrypted, so Append refuses anything that looks like content.
package events

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"inoculate/internal/platform/store"
)

// Event is one thing that happened, as stored in the outbox and delivered.
type Event struct {
	Seq      int64           `json:"seq"`     // position in the outbox, from 1, gap-free, in commit order
	TenantID string          `json:"tenant"`  // every subscriber acts within this tenant only
	Kind     string          `json:"kind"`    // e.g. "consent.withdrawn"
	Subject  string          `json:"subject"` // opaque id of the record concerned (a returnee id)
	Payload  json.RawMessage `json:"payload"` // flat JSON object of ids, numbers, booleans
	At       time.Time       `json:"at"`      // UTC, millisecond precision
}

// Handler receives one event after the transaction that wrote it committed.
type Handler func(ctx context.Context, e Event) error

var (
	kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	// idPattern is what an opaque id looks like: uuids, slugs, "tenant-a". No spaces, so
	// no sentences or names slip into the clear-text outbox.
	idPattern  = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

// Limits on a payload: an event points at records, it does not carry them.
const (
	maxPayloadBytes = 2048
	maxPayloadKeys  = 16
)

// checkPayload returns the compacted payload, or why it is refused.
func checkPayload(p json.RawMessage) (json.RawMessage, error) {
	if len(p) == 0 {
		return json.RawMessage(`{}`), nil
	}
	if len(p) > maxPayloadBytes {
		return nil, fmt.Errorf("payload of %d bytes (at most %d)", len(p), maxPayloadBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errors.New("payload is not a JSON object")
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("payload has data after the object")
	}
	if len(m) > maxPayloadKeys {
		return nil, fmt.Errorf("payload has %d keys (at most %d)", len(m), maxPayloadKeys)
	}
	for k, v := range m {
		if !keyPattern.MatchString(k) {
			return nil, fmt.Errorf("payload key %q is not a lower-case name", k)
		}
		switch x := v.(type) {
		case nil, bool, json.Number:
		case string:
			if !idPattern.MatchString(x) {
				return nil, fmt.Errorf("payload value of %q is not an opaque id", k)
			}
		default:
			return nil, fmt.Errorf("payload value of %q is not an id, number or boolean", k)
		}
	}
	var out bytes.Buffer
	if err := json.Compact(&out, p); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Append writes e to the outbox inside tx and returns it with Seq and At set. It
// refuses (with an error, the caller's transaction then rolls back) a malformed kind,
// tenant or subject, and a payload that is not a flat object of ids, numbers and
// booleans.
func Append(ctx context.Context, tx *store.Tx, e Event) (Event, error) {
	if !kindPattern.MatchString(e.Kind) {
		return Event{}, fmt.Errorf("events: kind %q is not a dotted lower-case name", e.Kind)
	}
	if !idPattern.MatchString(e.TenantID) || !idPattern.MatchString(e.Subject) {
		return Event{}, fmt.Errorf("events: %s: tenant and subject must be opaque ids", e.Kind)
	}
	p, err := checkPayload(e.Payload)
	if err != nil {
		return Event{}, fmt.Errorf("events: %s: %w", e.Kind, err)
	}
	e.Payload = p
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = store.FromMillis(store.Millis(e.At))
	// Seqs are allocated under a table lock held to the commit, so they are gap-free
	// and commit in order: a reader that has seen seq N has seen every seq below it,
	// which is what makes Redeliver(since) miss nothing. SQLite write transactions are
	// exclusive already. The seq is global, not per tenant, hence no tenant filter.
	if tx.Dialect() == store.Postgres {
		if _, err := tx.Exec(ctx, `LOCK TABLE events IN EXCLUSIVE MODE`); err != nil {
			return Event{}, fmt.Errorf("events: lock outbox: %w", err)
		}
	}
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM events`).Scan(&e.Seq); err != nil {
		return Event{}, fmt.Errorf("events: next seq: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO events (seq, tenant_id, kind, subject, payload, at) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Seq, e.TenantID, e.Kind, e.Subject, string(e.Payload), store.Millis(e.At)); err != nil {
		return Event{}, fmt.Errorf("events: insert %s: %w", e.Kind, err)
	}
	return e, nil
}

// Bus delivers committed events to the subscribers of their kind, in process.
type Bus struct {
	db   *store.DB
	mu   sync.RWMutex
	subs map[string][]Handler
}

// NewBus returns a bus reading the outbox of db for Redeliver.
func NewBus(db *store.DB) *Bus {
	return &Bus{db: db, subs: map[string][]Handler{}}
}

// Subscribe adds fn for events of kind. Subscribe at start-up, before serving: a
// subscriber added later misses what was published before (Redeliver finds it).
func (b *Bus) Subscribe(kind string, fn Handler) {
	if !kindPattern.MatchString(kind) || fn == nil {
		panic("events: Subscribe needs a dotted lower-case kind and a handler")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs[kind] = append(b.subs[kind], fn)
}

// Publish delivers each event, in order, to every subscriber of its kind. Call it
// only after the transaction that appended the events committed. A failing (or
// panicking) subscriber does not stop the others; the failures come back joined, and
// the event stays in the outbox for Redeliver. A nil bus publishes nothing.
func (b *Bus) Publish(ctx context.Context, evs ...Event) error {
	if b == nil {
		return nil
	}
	var errs []error
	for _, e := range evs {
		b.mu.RLock()
		subs := slices.Clone(b.subs[e.Kind])
		b.mu.RUnlock()
		for i, fn := range subs {
			if err := call(ctx, fn, e); err != nil {
				errs = append(errs, fmt.Errorf("events: subscriber %d of %s failed on event %d: %w", i+1, e.Kind, e.Seq, err))
			}
		}
	}
	return errors.Join(errs...)
}

func call(ctx context.Context, fn Handler, e Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(ctx, e)
}

// redeliverBatch is how many events Redeliver reads at a time.
const redeliverBatch = 256

// Redeliver publishes every event with a seq above since, in order, and returns the
// seq of the last event fully delivered (since if none). It stops at the first event
// a subscriber fails on, so the caller can retry from the returned seq. Run it at
// start-up from a remembered seq (or 0: subscribers are idempotent) to recover what
// a crash between commit and Publish left undelivered. It reads every tenant's
// events: it is deployment-wide machinery, and each event carries its tenant.
func (b *Bus) Redeliver(ctx context.Context, since int64) (int64, error) {
	last := since
	for {
		batch, err := b.read(ctx, last)
		if err != nil {
			return last, err
		}
		for _, e := range batch {
			if err := ctx.Err(); err != nil {
				return last, err
			}
			if err := b.Publish(ctx, e); err != nil {
				return last, err
			}
			last = e.Seq
		}
		if len(batch) < redeliverBatch {
			return last, nil
		}
	}
}

func (b *Bus) read(ctx context.Context, after int64) ([]Event, error) {
	rows, err := b.db.Reader().Query(ctx, `SELECT seq, tenant_id, kind, subject, payload, at FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
		after, redeliverBatch)
	if err != nil {
		return nil, fmt.Errorf("events: read outbox: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: read outbox: %w", err)
	}
	return out, nil
}

func scan(rows *sql.Rows) (Event, error) {
	var e Event
	var payload string
	var at int64
	if err := rows.Scan(&e.Seq, &e.TenantID, &e.Kind, &e.Subject, &payload, &at); err != nil {
		return Event{}, fmt.Errorf("events: scan: %w", err)
	}
	e.Payload = json.RawMessage(payload)
	e.At = store.FromMillis(at)
	return e, nil
}

// List returns tenantID's events with a seq above since, oldest first, at most limit
// (1 to 1000): for pages and for subscribers that prefer to poll.
func List(ctx context.Context, q store.Querier, tenantID string, since int64, limit int) ([]Event, error) {
	limit = min(max(limit, 1), 1000)
	rows, err := q.Query(ctx, `SELECT seq, tenant_id, kind, subject, payload, at FROM events WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		tenantID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("events: list: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: list: %w", err)
	}
	return out, nil
}
