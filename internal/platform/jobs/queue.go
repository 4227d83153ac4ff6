package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Config tunes a StoreQueue; zero values take the defaults.
type Config struct {
	Workers     int // handlers running at once in this process; default 2
	MaxAttempts int // attempts per job before it fails; default 3
	// PollInterval is how often idle workers look for jobs enqueued by other
	// processes or due for retry; default 1 s. Jobs enqueued through this queue wake
	// it at once.
	PollInterval time.Duration
	// LeaseTTL is how long a worker holds a job without renewing; a job whose worker
	// died is taken over after at most this long. Default 30 s; renewed every third.
	LeaseTTL time.Duration
	// ProgressInterval is how often a running job's progress is written and its
	// cancellation checked; default 1 s.
	ProgressInterval time.Duration
	// Backoff is the wait before retry after the given failed attempt (1-based);
	// default 10 s × attempt², at most 15 min.
	Backoff func(attempt int) time.Duration
	Logger  *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 30 * time.Second
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = time.Second
	}
	if c.ProgressInterval > c.LeaseTTL/3 {
		c.ProgressInterval = c.LeaseTTL / 3 // the heartbeat renews the lease
	}
	if c.Backoff == nil {
		c.Backoff = func(attempt int) time.Duration {
			return min(15*time.Minute, 10*time.Second*time.Duration(attempt*attempt))
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// StoreQueue is the Queue kept in the store's jobs table.
type StoreQueue struct {
	db    *store.DB
	cfg   Config
	owner string // this worker's name in leases: random, new per queue
	log   *slog.Logger

	mu       sync.RWMutex
	handlers map[Kind]Handler
	started  bool
	stopped  bool
	running  map[string]*run // job ID → its run in this process
	busy     int             // handlers running
	stop     context.CancelFunc

	nudge     chan struct{} // wakes the loop: a job was enqueued or a slot freed
	wg        sync.WaitGroup
	abandoned atomic.Bool // tests: behave as a dead process, write nothing more
}

var _ Queue = (*StoreQueue)(nil)

// New returns a queue on db; register handlers, then Start it.
func New(db *store.DB, cfg Config) *StoreQueue {
	cfg = cfg.withDefaults()
	return &StoreQueue{
		db:       db,
		cfg:      cfg,
		owner:    "w-" + strings.ToLower(rand.Text()[:16]),
		log:      cfg.Logger.With("component", "jobs"),
		handlers: make(map[Kind]Handler),
		running:  make(map[string]*run),
		nudge:    make(chan struct{}, 1),
	}
}

// Register sets the handler of kind. It panics on a malformed or duplicate kind, or
// after Start: these are wiring mistakes.
func (q *StoreQueue) Register(kind Kind, h Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case !kindPattern.MatchString(string(kind)):
		panic(fmt.Sprintf("jobs: malformed kind %q", kind))
	case h == nil:
		panic(fmt.Sprintf("jobs: nil handler for %q", kind))
	case q.started:
		panic(fmt.Sprintf("jobs: Register(%q) after Start", kind))
	case q.handlers[kind] != nil:
		panic(fmt.Sprintf("jobs: kind %q registered twice", kind))
	}
	q.handlers[kind] = h
}

// Enqueue adds a job inside tx; it runs only if tx commits. The kind must be
// registered (a typo fails here, not silently later). args must be JSON holding
// references (IDs), never personal data: they are stored in clear.
func (q *StoreQueue) Enqueue(ctx context.Context, tx *store.Tx, kind Kind, tenantID string, args json.RawMessage) (string, error) {
	q.mu.RLock()
	_, known := q.handlers[kind]
	q.mu.RUnlock()
	if !known {
		return "", fmt.Errorf("jobs: enqueue: no handler registered for kind %q", kind)
	}
	if tenantID == "" {
		return "", errors.New("jobs: enqueue: no tenant")
	}
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	if len(args) > maxArgsBytes || !json.Valid(args) {
		return "", fmt.Errorf("jobs: enqueue %s: args must be JSON of at most %d bytes", kind, maxArgsBytes)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	now := store.Millis(time.Now())
	_, err = tx.Exec(ctx, `INSERT INTO jobs (id, tenant_id, kind, args, state, max_attempts, run_after, created_at)
		VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)`, id.String(), tenantID, string(kind), string(args), q.cfg.MaxAttempts, now, now)
	if err != nil {
		return "", fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	q.wake()
	return id.String(), nil
}

func (q *StoreQueue) wake() {
	select {
	case q.nudge <- struct{}{}:
	default:
	}
}

// Start runs workers in the background until Stop, or until ctx is done. Cancelling
// ctx stops the queue without waiting: running handlers see their context cancelled
// and their jobs go back to the queue.
func (q *StoreQueue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return errors.New("jobs: Start called twice")
	}
	if len(q.handlers) == 0 {
		return errors.New("jobs: Start with no handler registered")
	}
	q.started = true
	loopCtx, cancel := context.WithCancel(ctx)
	q.stop = cancel
	q.wg.Add(1)
	go q.loop(loopCtx)
	return nil
}

// Stop stops taking jobs, cancels running handlers and waits, until ctx is done, for
// them to return; their jobs go back to the queue without using up an attempt. A
// handler still running when ctx ends keeps its job until its lease runs out.
func (q *StoreQueue) Stop(ctx context.Context) error {
	q.mu.Lock()
	if !q.started || q.stopped {
		q.mu.Unlock()
		return nil
	}
	q.stopped = true
	q.stop()
	q.mu.Unlock()
	finished := make(chan struct{})
	go func() { q.wg.Wait(); close(finished) }()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: stop: handlers still running, their jobs return to the queue when their leases run out: %w", ctx.Err())
	}
}

// abandon makes the queue behave as a process that died: it stops without writing
// anything more to the database. For crash tests.
func (q *StoreQueue) abandon() {
	q.abandoned.Store(true)
	q.mu.Lock()
	q.stopped = true
	q.stop()
	q.mu.Unlock()
}

// claimed is a job this worker holds.
type claimed struct {
	Job
	leaseUntil int64
}

// Retry bursts: a job enqueued through this queue may not be committed yet when the
// loop first looks (PostgreSQL; SQLite waits on its single writer), so look again soon.
var wakeBurst = []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond}

func (q *StoreQueue) loop(ctx context.Context) {
	defer q.wg.Done()
	poll := time.NewTicker(q.cfg.PollInterval)
	defer poll.Stop()
	burst := time.NewTimer(time.Hour)
	burst.Stop()
	burstStep := len(wakeBurst)
	for {
		q.fill(ctx)
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
			q.sweep(ctx)
		case <-q.nudge:
			burstStep = 0
			burst.Reset(wakeBurst[0])
		case <-burst.C:
			if burstStep++; burstStep < len(wakeBurst) {
				burst.Reset(wakeBurst[burstStep])
			}
		}
	}
}

// fill claims jobs while workers are free.
func (q *StoreQueue) fill(ctx context.Context) {
	for ctx.Err() == nil {
		q.mu.Lock()
		free := q.busy < q.cfg.Workers
		if free {
			q.busy++ // reserve the slot before the (slow) claim
		}
		q.mu.Unlock()
		if !free {
			return
		}
		c, ok, err := q.claim(ctx)
		if err != nil || !ok {
			q.mu.Lock()
			q.busy--
			q.mu.Unlock()
			if err != nil && ctx.Err() == nil {
				q.log.Error("jobs: claim", "err", err)
			}
			return
		}
		q.wg.Add(1)
		go q.execute(ctx, c)
	}
}

// claim takes the next due job, or a running one whose worker's lease ran out.
func (q *StoreQueue) claim(ctx context.Context) (claimed, bool, error) {
	q.mu.RLock()
	kinds := make([]any, 0, len(q.handlers))
	for k := range q.handlers {
		kinds = append(kinds, string(k))
	}
	q.mu.RUnlock()
	slices.SortFunc(kinds, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })

	now := time.Now()
	nowMs, leaseUntil := store.Millis(now), store.Millis(now.Add(q.cfg.LeaseTTL))
	skipLocked := ""
	if q.db.Dialect() == store.Postgres {
		skipLocked = " FOR UPDATE SKIP LOCKED" // concurrent workers pass over each other's claims
	}
	query := `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?,
			started_at = ?, progress_at = 0, progress_done = 0, progress_total = 0, progress_note = ''
		WHERE id = (SELECT id FROM jobs
			WHERE kind IN (?` + strings.Repeat(", ?", len(kinds)-1) + `) AND cancel_requested = 0
			  AND ((state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_until < ?))
			ORDER BY run_after, id LIMIT 1` + skipLocked + `)
		RETURNING id, tenant_id, kind, args, attempts, max_attempts`
	args := append([]any{q.owner, leaseUntil, nowMs}, kinds...)
	args = append(args, nowMs, nowMs)
	var c claimed
	var rawArgs string
	err := q.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, query, args...).Scan(&c.ID, &c.TenantID, &c.Kind, &rawArgs, &c.Attempt, &c.MaxAttempts)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return claimed{}, false, nil
	}
	if err != nil {
		return claimed{}, false, fmt.Errorf("jobs: claim: %w", err)
	}
	c.Args = json.RawMessage(rawArgs)
	c.leaseUntil = leaseUntil
	return c, true, nil
}

// sweep settles running jobs whose cancellation was asked and whose worker died.
func (q *StoreQueue) sweep(ctx context.Context) {
	now := store.Millis(time.Now())
	err := q.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE jobs SET state = 'cancelled', lease_owner = '', cancel_requested = 0, finished_at = ?
			WHERE state = 'running' AND cancel_requested = 1 AND lease_until < ?`, now, now)
		return err
	})
	if err != nil && ctx.Err() == nil {
		q.log.Error("jobs: sweep", "err", err)
	}
}

// run is a job being handled in this process.
type run struct {
	cancel context.CancelCauseFunc

	mu          sync.Mutex
	done, total int64
	note        string
	at          time.Time // when progress was last reported
	dirty       bool      // reported but not yet written
}

func (r *run) report(done, total int64, note string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done, r.total, r.note = max(0, done), max(0, total), truncate(note, maxNoteBytes)
	r.at = time.Now()
	r.dirty = true
}

var (
	errCancelRequested = errors.New("jobs: cancelled by a user")
	errLeaseLost       = errors.New("jobs: lease lost: another worker may have taken the job over")
)

func (q *StoreQueue) execute(loopCtx context.Context, c claimed) {
	defer q.wg.Done()
	defer func() {
		q.mu.Lock()
		q.busy--
		delete(q.running, c.ID)
		q.mu.Unlock()
		q.wake() // a slot is free
	}()
	log := q.log.With("job", c.ID, "kind", c.Kind, "attempt", c.Attempt)
	if c.Attempt > c.MaxAttempts {
		// Taken over from a dead worker on its last attempt: a job that kills its
		// worker must not do so forever.
		q.settle(loopCtx, c, nil, Permanent(errors.New("the worker running the last attempt stopped (crash or restart)")), log)
		return
	}
	q.mu.RLock()
	h := q.handlers[c.Kind]
	q.mu.RUnlock()

	runCtx, cancel := context.WithCancelCause(loopCtx)
	defer cancel(nil)
	r := &run{cancel: cancel}
	q.mu.Lock()
	q.running[c.ID] = r
	q.mu.Unlock()

	beatDone := make(chan struct{})
	beatStopped := make(chan struct{})
	go func() { defer close(beatStopped); q.heartbeat(loopCtx, c, r, beatDone, log) }()
	err := callHandler(runCtx, h, c.Job, r.report)
	close(beatDone)
	<-beatStopped
	q.settle(loopCtx, c, r, err, log)
}

// callHandler runs h, turning a panic into an error so one bad job cannot kill the
// workers.
func callHandler(ctx context.Context, h Handler, job Job, progress func(done, total int64, note string)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("jobs: handler panicked", "kind", job.Kind, "job", job.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("the handler panicked: %v", p)
		}
	}()
	return h(ctx, job, progress)
}

// heartbeat renews the lease, writes progress and notices cancellation asked through
// another process, until done closes.
func (q *StoreQueue) heartbeat(loopCtx context.Context, c claimed, r *run, done <-chan struct{}, log *slog.Logger) {
	tick := time.NewTicker(q.cfg.ProgressInterval)
	defer tick.Stop()
	leaseUntil := c.leaseUntil
	renewEvery := q.cfg.LeaseTTL / 3
	lastRenew := time.Now()
	// Writes outlive loopCtx a little: after a Stop the job is still ours until settled.
	ctx := context.WithoutCancel(loopCtx)
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if q.abandoned.Load() {
			return
		}
		now := time.Now()
		var cancelRequested int
		err := q.db.Reader().QueryRow(ctx, `SELECT cancel_requested FROM jobs WHERE id = ?`, c.ID).Scan(&cancelRequested)
		if err == nil && cancelRequested == 1 {
			r.cancel(errCancelRequested)
		}
		r.mu.Lock()
		dirty, pDone, pTotal, pNote, pAt := r.dirty, r.done, r.total, r.note, r.at
		r.dirty = false
		r.mu.Unlock()
		if !dirty && now.Sub(lastRenew) < renewEvery {
			continue
		}
		next := store.Millis(now.Add(q.cfg.LeaseTTL))
		var n int64
		err = q.db.InTx(ctx, func(tx *store.Tx) error {
			var res sql.Result
			var err error
			if dirty {
				res, err = tx.Exec(ctx, `UPDATE jobs SET lease_until = ?, progress_done = ?, progress_total = ?, progress_note = ?, progress_at = ?
					WHERE id = ? AND lease_owner = ? AND state = 'running'`, next, pDone, pTotal, pNote, store.Millis(pAt), c.ID, q.owner)
			} else {
				res, err = tx.Exec(ctx, `UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = 'running'`, next, c.ID, q.owner)
			}
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		switch {
		case err != nil:
			log.Warn("jobs: renew lease", "err", err)
			if dirty {
				r.mu.Lock()
				r.dirty = true // try again next tick
				r.mu.Unlock()
			}
			if store.Millis(now) >= leaseUntil {
				r.cancel(errLeaseLost) // another worker may run it now: stop ours
			}
		case n == 0:
			r.cancel(errLeaseLost)
			return
		default:
			leaseUntil, lastRenew = next, now
		}
	}
}

// settle records how an attempt ended, only if this worker still holds the job.
func (q *StoreQueue) settle(loopCtx context.Context, c claimed, r *run, handlerErr error, log *slog.Logger) {
	if q.abandoned.Load() {
		return
	}
	stopping := loopCtx.Err() != nil
	ctx, cancel := context.WithTimeout(context.WithoutCancel(loopCtx), 10*time.Second)
	defer cancel()
	now := store.Millis(time.Now())
	var outcome State
	err := q.db.InTx(ctx, func(tx *store.Tx) error {
		var owner, state string
		var cancelRequested int
		err := tx.QueryRow(ctx, `SELECT lease_owner, state, cancel_requested FROM jobs WHERE id = ?`+tx.ForUpdate(), c.ID).
			Scan(&owner, &state, &cancelRequested)
		if err != nil {
			return err
		}
		if owner != q.owner || state != string(Running) {
			outcome = "" // taken over after our lease ran out: the new holder decides
			return nil
		}
		// The last progress report, so a finished job shows where it ended.
		progress, pArgs := "", []any{}
		if r != nil {
			r.mu.Lock()
			if !r.at.IsZero() {
				progress = `, progress_done = ?, progress_total = ?, progress_note = ?, progress_at = ?`
				pArgs = []any{r.done, r.total, r.note, store.Millis(r.at)}
			}
			r.mu.Unlock()
		}
		switch {
		case handlerErr == nil:
			outcome = Done
			_, err = tx.Exec(ctx, `UPDATE jobs SET state = 'done', lease_owner = '', cancel_requested = 0, finished_at = ?`+progress+` WHERE id = ?`,
				append(append([]any{now}, pArgs...), c.ID)...)
		case cancelRequested == 1:
			outcome = Cancelled
			_, err = tx.Exec(ctx, `UPDATE jobs SET state = 'cancelled', lease_owner = '', cancel_requested = 0, finished_at = ?`+progress+` WHERE id = ?`,
				append(append([]any{now}, pArgs...), c.ID)...)
		case stopping && !isPermanent(handlerErr):
			// Interrupted by our own shutdown, not the job's fault: the attempt does not count.
			outcome, handlerErr = Queued, nil // not a failure: do not log it as one
			_, err = tx.Exec(ctx, `UPDATE jobs SET state = 'queued', lease_owner = '', attempts = attempts - 1, run_after = ? WHERE id = ?`, now, c.ID)
		case isPermanent(handlerErr) || c.Attempt >= c.MaxAttempts:
			outcome = Failed
			_, err = tx.Exec(ctx, `UPDATE jobs SET state = 'failed', lease_owner = '', last_error = ?, finished_at = ?`+progress+` WHERE id = ?`,
				append(append([]any{truncate(handlerErr.Error(), maxErrorBytes), now}, pArgs...), c.ID)...)
		default:
			outcome = Queued
			runAfter := store.Millis(time.Now().Add(q.cfg.Backoff(c.Attempt)))
			_, err = tx.Exec(ctx, `UPDATE jobs SET state = 'queued', lease_owner = '', last_error = ?, run_after = ?`+progress+` WHERE id = ?`,
				append(append([]any{truncate(handlerErr.Error(), maxErrorBytes), runAfter}, pArgs...), c.ID)...)
		}
		return err
	})
	switch {
	case err != nil:
		// The lease will run out and another worker will run the job again.
		log.Error("jobs: record the end of an attempt", "err", err)
	case outcome == "":
		log.Warn("jobs: attempt ended after another worker took the job over; its result is dropped")
	case handlerErr != nil && outcome != Cancelled:
		log.Warn("jobs: attempt failed", "outcome", outcome, "err", handlerErr)
	}
}

// Get returns one job of the tenant; another tenant's job is NotFound.
func (q *StoreQueue) Get(ctx context.Context, tenantID, id string) (Status, error) {
	rows, err := q.db.Reader().Query(ctx, `SELECT `+statusColumns+` FROM jobs WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if err != nil {
		return Status{}, errs.Wrap(err, "jobs: get")
	}
	list, err := scanStatuses(rows)
	if err != nil {
		return Status{}, errs.Wrap(err, "jobs: get")
	}
	if len(list) == 0 {
		return Status{}, errs.E(errs.NotFound, "job not found")
	}
	return list[0], nil
}

// List returns the tenant's latest jobs of kind (all kinds when kind is ""), newest
// first, at most 200.
func (q *StoreQueue) List(ctx context.Context, tenantID string, kind Kind) ([]Status, error) {
	query := `SELECT ` + statusColumns + ` FROM jobs WHERE tenant_id = ?`
	args := []any{tenantID}
	if kind != "" {
		query += ` AND kind = ?`
		args = append(args, string(kind))
	}
	query += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, listLimit)
	rows, err := q.db.Reader().Query(ctx, query, args...)
	if err != nil {
		return nil, errs.Wrap(err, "jobs: list")
	}
	list, err := scanStatuses(rows)
	return list, errs.Wrap(err, "jobs: list")
}

const statusColumns = `id, tenant_id, kind, args, state, attempts, max_attempts, cancel_requested, progress_done, progress_total,
	progress_note, last_error, created_at, run_after, started_at, progress_at, finished_at`

func scanStatuses(rows *sql.Rows) ([]Status, error) {
	defer rows.Close()
	var out []Status
	for rows.Next() {
		var s Status
		var args string
		var cancelRequested int
		var created, runAfter, started, progressAt, finished int64
		if err := rows.Scan(&s.ID, &s.TenantID, &s.Kind, &args, &s.State, &s.Attempts, &s.MaxAttempts, &cancelRequested,
			&s.Done, &s.Total, &s.Note, &s.LastError, &created, &runAfter, &started, &progressAt, &finished); err != nil {
			return nil, err
		}
		s.Args = json.RawMessage(args)
		s.CancelRequested = cancelRequested == 1
		s.CreatedAt, s.RunAfter = store.FromMillis(created), store.FromMillis(runAfter)
		s.StartedAt, s.UpdatedAt, s.FinishedAt = optionalTime(started), optionalTime(progressAt), optionalTime(finished)
		if s.State == Running {
			if ms, ok := eta(started, progressAt, s.Done, s.Total); ok {
				s.ETA = store.FromMillis(ms)
			}
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func optionalTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return store.FromMillis(ms)
}

// Cancel stops the tenant's job: a queued job is cancelled at once; a running job's
// context is cancelled (here at once, in another process within a progress interval)
// and the job is recorded cancelled when its handler returns. Cancelling a cancelled
// job does nothing; a done or failed job is a Conflict.
func (q *StoreQueue) Cancel(ctx context.Context, tenantID, id string) error {
	var wasRunning bool
	err := q.db.InTx(ctx, func(tx *store.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM jobs WHERE id = ? AND tenant_id = ?`+tx.ForUpdate(), id, tenantID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.E(errs.NotFound, "job not found")
		}
		if err != nil {
			return err
		}
		switch State(state) {
		case Queued:
			_, err = tx.Exec(ctx, `UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE id = ?`, store.Millis(time.Now()), id)
		case Running:
			wasRunning = true
			_, err = tx.Exec(ctx, `UPDATE jobs SET cancel_requested = 1 WHERE id = ?`, id)
		case Cancelled:
		default:
			return errs.E(errs.Conflict, "the job has already finished")
		}
		return err
	})
	if err != nil {
		return errs.Wrap(err, "jobs: cancel")
	}
	if wasRunning {
		q.mu.RLock()
		r := q.running[id]
		q.mu.RUnlock()
		if r != nil {
			r.cancel(errCancelRequested)
		}
	}
	return nil
}

// Retry queues the tenant's failed or cancelled job again, with a fresh set of
// attempts; its last error stays visible until the next attempt ends.
func (q *StoreQueue) Retry(ctx context.Context, tenantID, id string) error {
	err := q.db.InTx(ctx, func(tx *store.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM jobs WHERE id = ? AND tenant_id = ?`+tx.ForUpdate(), id, tenantID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.E(errs.NotFound, "job not found")
		}
		if err != nil {
			return err
		}
		if State(state) != Failed && State(state) != Cancelled {
			return errs.E(errs.Conflict, "only a failed or cancelled job can be retried")
		}
		_, err = tx.Exec(ctx, `UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, cancel_requested = 0, lease_owner = '',
			finished_at = 0 WHERE id = ?`, store.Millis(time.Now()), id)
		return err
	})
	if err != nil {
		return errs.Wrap(err, "jobs: retry")
	}
	q.wake()
	return nil
}

// Prune deletes finished jobs (done, failed or cancelled) that finished before the
// given time, so the table does not grow without end; it returns how many went.
func (q *StoreQueue) Prune(ctx context.Context, finishedBefore time.Time) (int64, error) {
	var n int64
	err := q.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND finished_at > 0 AND finished_at < ?`,
			store.Millis(finishedBefore))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("jobs: prune: %w", err)
	}
	return n, nil
}
