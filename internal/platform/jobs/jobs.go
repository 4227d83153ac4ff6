// Package jobs runs background work (transcoding, face filling, re-voicing…) as
// durable jobs kept in the database, on both stores.
//
// A job is enqueued in the caller's transaction, so it exists exactly when the change
// that asked for it does. A worker claims a job by taking a lease that it renews while
// the handler runs; when the worker dies, the lease runs out and another worker (or the
// same program after a restart) takes the job over: a crash loses no job. Handlers
// report progress, from which the queue computes an ETA; a job can be cancelled
// (its handler's context is cancelled) and retried; a failure keeps its message.
//
// Why not River (the planned library): River v0.51.2 works here on both stores, with
// ncruces/go-sqlite3 and a single writer connection (verified), but it needs the raw
// *sql.DB and *sql.Tx that store keeps private, its pgx driver cannot join a
// database/sql transaction, and it recovers a job whose worker died only after
// RescueStuckJobsAfter, which must exceed the longest job (hours of transcoding).
// Progress, ETA and tenants would have needed our own table anyway. Queue is the seam
// should River replace this.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"time"

	"inoculate/internal/platform/store"
)

// Kind names a kind of job, such as "media.transcode".
type Kind string

// State is where a job is in its life.
type State string

const (
	Queued    State = "queued"    // waiting for a worker (or for its retry time)
	Running   State = "running"   // a worker holds it
	Done      State = "done"      // the handler succeeded
	Failed    State = "failed"    // out of attempts, or failed permanently
	Cancelled State = "cancelled" // cancelled by a user
)

// Job is what a handler receives.
type Job struct {
	ID          string
	TenantID    string
	Kind        Kind
	Args        json.RawMessage
	Attempt     int // 1 on the first run
	MaxAttempts int
}

// Handler does one job. It must return promptly once ctx is done (cancelled by a user,
// or the queue stopping). progress reports how far it got; it never blocks and may be
// called as often as the handler likes (the queue writes it at most once per
// Config.ProgressInterval). The note is shown to users and stored in clear: no
// personal data in it, nor in returned error messages.
type Handler func(ctx context.Context, job Job, progress func(done, total int64, note string)) error

// Status is a job as users see it.
type Status struct {
	ID          string
	TenantID    string
	Kind        Kind
	Args        json.RawMessage
	State       State
	Attempts    int // attempts started, the current one included
	MaxAttempts int
	Done, Total int64  // progress of the current or last attempt, in the handler's units
	Note        string // the handler's last progress note
	// ETA is when the running job should finish at its rate so far; zero when unknown.
	ETA time.Time
	// LastError is the message of the last failed attempt, kept through retries.
	LastError       string
	CancelRequested bool      // a running job asked to stop, not yet stopped
	CreatedAt       time.Time // enqueued
	RunAfter        time.Time // a queued job waits until then
	StartedAt       time.Time // the current or last attempt began; zero if never run
	UpdatedAt       time.Time // progress last reported; zero if never
	FinishedAt      time.Time // done, failed or cancelled; zero otherwise
}

// Fraction is the progress between 0 and 1, or -1 when the total is unknown.
func (s Status) Fraction() float64 {
	if s.Total <= 0 {
		return -1
	}
	return min(1, max(0, float64(s.Done)/float64(s.Total)))
}

// Queue is the small interface the rest of the program uses.
type Queue interface {
	// Register sets the handler of a kind; only before Start.
	Register(kind Kind, h Handler)
	// Enqueue adds a job in the caller's transaction: it runs only if tx commits.
	Enqueue(ctx context.Context, tx *store.Tx, kind Kind, tenantID string, args json.RawMessage) (jobID string, err error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Get(ctx context.Context, tenantID, id string) (Status, error)
	// List returns a tenant's jobs of one kind (every kind when kind is ""), newest first.
	List(ctx context.Context, tenantID string, kind Kind) ([]Status, error)
	// Cancel stops a job: a queued one at once, a running one by cancelling its context.
	Cancel(ctx context.Context, tenantID, id string) error
	// Retry queues a failed or cancelled job again, with a fresh set of attempts.
	Retry(ctx context.Context, tenantID, id string) error
}

// Permanent marks a handler error as not worth retrying (bad input, a missing file):
// the job fails at once with err's message.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ error }

func (p permanentError) Unwrap() error { return p.error }

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// Limits on what is stored: args are references, notes and errors short messages.
const (
	maxArgsBytes  = 64 << 10
	maxNoteBytes  = 200
	maxErrorBytes = 2000
	listLimit     = 200
)

// eta extrapolates the finishing time from the progress rate of the current attempt.
func eta(startedMs, progressMs, done, total int64) (ms int64, ok bool) {
	if done <= 0 || total <= 0 || done >= total || progressMs <= startedMs {
		return 0, false
	}
	elapsed := float64(progressMs - startedMs)
	remaining := elapsed * float64(total-done) / float64(done)
	return progressMs + int64(remaining), true
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xC0 == 0x80 { // step back to a rune start
		i--
	}
	return s[:i] + "…"
}
