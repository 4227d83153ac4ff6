package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// fast is a configuration that makes tests quick: short polls, leases and backoff.
func fast() Config {
	return Config{
		Workers:          2,
		MaxAttempts:      3,
		PollInterval:     50 * time.Millisecond,
		LeaseTTL:         600 * time.Millisecond,
		ProgressInterval: 20 * time.Millisecond,
		Backoff:          func(int) time.Duration { return 0 },
	}
}

func tenant(t *testing.T, db *store.DB) string {
	t.Helper()
	id := storetest.Name("tenant")
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, id, id, id, 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// start starts q and stops it at cleanup.
func start(t *testing.T, q *StoreQueue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
}

func enqueue(t *testing.T, db *store.DB, q *StoreQueue, kind Kind, tenantID, args string) string {
	t.Helper()
	var id string
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = q.Enqueue(context.Background(), tx, kind, tenantID, json.RawMessage(args))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitFor polls Get until cond holds, failing after a few seconds.
func waitFor(t *testing.T, q *StoreQueue, tenantID, id string, what string, cond func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		s, err := q.Get(context.Background(), tenantID, id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never %s: %+v", what, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func inState(st State) func(Status) bool { return func(s Status) bool { return s.State == st } }

func TestEnqueueFollowsTheTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid := tenant(t, db)
		var ran atomic.Int32
		var seen atomic.Value
		q := New(db, fast())
		q.Register("test.echo", func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			ran.Add(1)
			seen.Store(string(job.Args))
			return nil
		})
		start(t, q)

		var rolledBack string
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			rolledBack, err = q.Enqueue(ctx, tx, "test.echo", tid, json.RawMessage(`{"n":1}`))
			if err != nil {
				return err
			}
			return errors.New("the caller's change failed")
		})
		if err == nil || rolledBack == "" {
			t.Fatalf("enqueue in a failing transaction: id %q, err %v", rolledBack, err)
		}
		committed := enqueue(t, db, q, "test.echo", tid, `{"n":2}`)
		s := waitFor(t, q, tid, committed, "done", inState(Done))
		if s.Attempts != 1 || s.FinishedAt.IsZero() || s.StartedAt.IsZero() || s.LastError != "" {
			t.Errorf("committed job: %+v", s)
		}
		time.Sleep(200 * time.Millisecond) // several polls: the rolled-back job had every chance to run
		if n := ran.Load(); n != 1 {
			t.Errorf("handler ran %d times, want 1 (the committed job only)", n)
		}
		if got := seen.Load(); got != `{"n":2}` {
			t.Errorf("handler saw args %v", got)
		}
		if _, err := q.Get(ctx, tid, rolledBack); !errs.Is(err, errs.NotFound) {
			t.Errorf("rolled-back job: %v, want NotFound", err)
		}
	})
}

func TestEnqueueRefusesBadInput(t *testing.T) {
	db := storetest.SQLite(t)
	tid := tenant(t, db)
	q := New(db, fast())
	q.Register("test.ok", func(context.Context, Job, func(int64, int64, string)) error { return nil })
	for name, c := range map[string]struct {
		kind   Kind
		tenant string
		args   string
	}{
		"unregistered kind": {"test.typo", tid, `{}`},
		"no tenant":         {"test.ok", "", `{}`},
		"not JSON":          {"test.ok", tid, `{"a":`},
		"too large":         {"test.ok", tid, `"` + strings.Repeat("x", maxArgsBytes) + `"`},
	} {
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := q.Enqueue(context.Background(), tx, c.kind, c.tenant, json.RawMessage(c.args))
			return err
		})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestProgressAndETA(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tid := tenant(t, db)
		release := make(chan struct{})
		q := New(db, fast())
		q.Register("test.slow", func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			progress(0, 400, "starting")
			time.Sleep(100 * time.Millisecond)
			progress(100, 400, "frame 100 of 400")
			<-release
			progress(400, 400, "finished")
			return nil
		})
		start(t, q)
		id := enqueue(t, db, q, "test.slow", tid, `{}`)

		s := waitFor(t, q, tid, id, "reported progress", func(s Status) bool { return s.Done == 100 })
		close(release)
		if s.State != Running || s.Total != 400 || s.Note != "frame 100 of 400" || s.Fraction() != 0.25 {
			t.Errorf("progress while running: %+v", s)
		}
		// A quarter done after ~100 ms: about 300 ms more.
		if s.ETA.IsZero() || !s.ETA.After(s.UpdatedAt) {
			t.Fatalf("no ETA after progress: %+v", s)
		}
		if left := s.ETA.Sub(s.UpdatedAt); left < 250*time.Millisecond || left > 2*time.Second {
			t.Errorf("ETA %v after the last report, want about 300ms", left)
		}
		s = waitFor(t, q, tid, id, "done", inState(Done))
		if s.Done != 400 || s.Note != "finished" || !s.ETA.IsZero() {
			t.Errorf("finished job: %+v", s)
		}
	})
}

func TestFailuresAreRetriedThenFail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tid := tenant(t, db)
		var calls, permanentCalls atomic.Int32
		attempts := make(chan int, 10)
		q := New(db, fast())
		q.Register("test.broken", func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			calls.Add(1)
			attempts <- job.Attempt
			return errors.New("ffmpeg exited with status 1: invalid data found when processing input")
		})
		q.Register("test.hopeless", func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			permanentCalls.Add(1)
			return Permanent(errors.New("the recording is not a video"))
		})
		q.Register("test.panics", func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			panic("index out of range")
		})
		start(t, q)
		id := enqueue(t, db, q, "test.broken", tid, `{}`)
		s := waitFor(t, q, tid, id, "failed", inState(Failed))
		if s.Attempts != 3 || calls.Load() != 3 || s.LastError != "ffmpeg exited with status 1: invalid data found when processing input" || s.FinishedAt.IsZero() {
			t.Errorf("failed job after %d calls: %+v", calls.Load(), s)
		}
		close(attempts)
		var seq []int
		for a := range attempts {
			seq = append(seq, a)
		}
		if !slices.Equal(seq, []int{1, 2, 3}) {
			t.Errorf("attempt numbers %v", seq)
		}

		id = enqueue(t, db, q, "test.hopeless", tid, `{}`)
		s = waitFor(t, q, tid, id, "failed", inState(Failed))
		if s.Attempts != 1 || permanentCalls.Load() != 1 || s.LastError != "the recording is not a video" {
			t.Errorf("permanent failure: %+v", s)
		}

		id = enqueue(t, db, q, "test.panics", tid, `{}`)
		s = waitFor(t, q, tid, id, "failed", inState(Failed))
		if s.Attempts != 3 || !strings.Contains(s.LastError, "panicked: index out of range") {
			t.Errorf("panicking handler: %+v", s)
		}
	})
}

func TestBackoffDelaysTheRetry(t *testing.T) {
	db := storetest.SQLite(t)
	tid := tenant(t, db)
	cfg := fast()
	cfg.Backoff = func(attempt int) time.Duration { return time.Hour }
	q := New(db, cfg)
	q.Register("test.broken", func(context.Context, Job, func(int64, int64, string)) error { return errors.New("temporary") })
	start(t, q)
	id := enqueue(t, db, q, "test.broken", tid, `{}`)
	s := waitFor(t, q, tid, id, "back in the queue", func(s Status) bool { return s.LastError != "" })
	if s.State != Queued || s.Attempts != 1 || time.Until(s.RunAfter) < 59*time.Minute {
		t.Errorf("after one failure with a 1 h backoff: %+v", s)
	}
}

func TestCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid := tenant(t, db)
		started := make(chan struct{}, 1)
		causes := make(chan error, 1)
		q := New(db, fast())
		q.Register("test.endless", func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			started <- struct{}{}
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return ctx.Err()
		})
		start(t, q)
		id := enqueue(t, db, q, "test.endless", tid, `{}`)
		<-started
		if err := q.Cancel(ctx, tid, id); err != nil {
			t.Fatal(err)
		}
		select {
		case cause := <-causes:
			if !errors.Is(cause, errCancelRequested) {
				t.Errorf("handler's context cancelled by %v", cause)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the running handler's context was not cancelled")
		}
		s := waitFor(t, q, tid, id, "cancelled", inState(Cancelled))
		if s.Attempts != 1 || s.CancelRequested || s.FinishedAt.IsZero() {
			t.Errorf("cancelled job: %+v", s)
		}
		if err := q.Cancel(ctx, tid, id); err != nil {
			t.Errorf("cancelling a cancelled job again: %v", err)
		}

		// A queued job is cancelled at once and never runs: enqueue it through a queue
		// that is not running.
		idle := New(db, fast())
		idle.Register("test.never", func(context.Context, Job, func(int64, int64, string)) error {
			t.Error("a cancelled job ran")
			return nil
		})
		queued := enqueue(t, db, idle, "test.never", tid, `{}`)
		if err := q.Cancel(ctx, tid, queued); err != nil {
			t.Fatal(err)
		}
		if s, _ := q.Get(ctx, tid, queued); s.State != Cancelled || s.Attempts != 0 {
			t.Errorf("cancelled queued job: %+v", s)
		}
		start(t, idle)
		time.Sleep(200 * time.Millisecond)
	})
}

// A user's Cancel reaches a job running in another process through the database.
func TestCancelReachesAnotherWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tid := tenant(t, db)
		started := make(chan struct{}, 1)
		worker := New(db, fast())
		worker.Register("test.endless", func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			started <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		})
		start(t, worker)
		web := New(db, fast()) // never started: stands for the web process
		web.Register("test.endless", func(context.Context, Job, func(int64, int64, string)) error { return nil })
		id := enqueue(t, db, web, "test.endless", tid, `{}`)
		<-started
		t0 := time.Now()
		if err := web.Cancel(context.Background(), tid, id); err != nil {
			t.Fatal(err)
		}
		// Until the worker notices, the job shows as running with cancellation asked.
		if s, _ := web.Get(context.Background(), tid, id); s.State != Cancelled && !(s.State == Running && s.CancelRequested) {
			t.Errorf("right after Cancel: %+v", s)
		}
		waitFor(t, web, tid, id, "cancelled", inState(Cancelled))
		t.Logf("cancelled in another worker after %v", time.Since(t0).Round(time.Millisecond))
	})
}

func TestRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid := tenant(t, db)
		var calls atomic.Int32
		q := New(db, fast())
		q.Register("test.flaky", func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			if calls.Add(1) == 1 {
				return Permanent(errors.New("scratch disk full"))
			}
			return nil
		})
		start(t, q)
		id := enqueue(t, db, q, "test.flaky", tid, `{}`)
		waitFor(t, q, tid, id, "failed", inState(Failed))
		if err := q.Retry(ctx, tid, id); err != nil {
			t.Fatal(err)
		}
		s := waitFor(t, q, tid, id, "done", inState(Done))
		if calls.Load() != 2 || s.Attempts != 1 || s.LastError != "scratch disk full" {
			t.Errorf("retried job after %d calls: %+v", calls.Load(), s)
		}
		if err := q.Retry(ctx, tid, id); !errs.Is(err, errs.Conflict) {
			t.Errorf("retrying a done job: %v, want Conflict", err)
		}
		if err := q.Cancel(ctx, tid, id); !errs.Is(err, errs.Conflict) {
			t.Errorf("cancelling a done job: %v, want Conflict", err)
		}
	})
}

// A worker that dies mid-job (no more writes, not even a last word) loses nothing: a
// new queue on the same database takes the job over once the lease runs out.
func TestCrashLosesNoJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tid := tenant(t, db)
		started := make(chan int, 2)
		handler := func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			started <- job.Attempt
			if job.Attempt == 1 {
				progress(10, 100, "half-way through a long transcode")
				<-ctx.Done() // the process "dies" here
				return ctx.Err()
			}
			progress(100, 100, "done")
			return nil
		}
		first := New(db, fast())
		first.Register("test.transcode", handler)
		if err := first.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		id := enqueue(t, db, first, "test.transcode", tid, `{"testimony":"t1"}`)
		if a := <-started; a != 1 {
			t.Fatalf("first attempt numbered %d", a)
		}
		waitFor(t, first, tid, id, "reported progress", func(s Status) bool { return s.Done == 10 })
		first.abandon()
		crashed := time.Now()
		first.wg.Wait()
		if s, _ := first.Get(context.Background(), tid, id); s.State != Running {
			t.Fatalf("after the crash the job should still look running: %+v", s)
		}

		second := New(db, fast())
		second.Register("test.transcode", handler)
		start(t, second)
		s := waitFor(t, second, tid, id, "done", inState(Done))
		if s.Attempts != 2 || s.Done != 100 {
			t.Errorf("job taken over after a crash: %+v", s)
		}
		t.Logf("taken over and finished %v after the crash (lease %v)", time.Since(crashed).Round(time.Millisecond), fast().LeaseTTL)
	})
}

// Stopping the queue without waiting (its context cancelled) mid-job puts the job
// back without using up an attempt; the next queue runs it to completion.
func TestStopMidJobRequeues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tid := tenant(t, db)
		started := make(chan struct{}, 2)
		interrupted := func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			started <- struct{}{}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Second):
				return errors.New("the first queue was never stopped")
			}
		}
		completes := func(ctx context.Context, job Job, progress func(int64, int64, string)) error { return nil }
		first := New(db, fast())
		first.Register("test.transcode", interrupted)
		runCtx, stop := context.WithCancel(context.Background())
		if err := first.Start(runCtx); err != nil {
			t.Fatal(err)
		}
		id := enqueue(t, db, first, "test.transcode", tid, `{}`)
		<-started
		stop()
		s := waitFor(t, first, tid, id, "back in the queue", inState(Queued))
		if s.Attempts != 0 || s.LastError != "" {
			t.Errorf("job interrupted by a stop: %+v", s)
		}
		second := New(db, fast())
		second.Register("test.transcode", completes)
		start(t, second)
		s = waitFor(t, second, tid, id, "done", inState(Done))
		if s.Attempts != 1 {
			t.Errorf("job finished by the second queue: %+v", s)
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		owner, other := tenant(t, db), tenant(t, db)
		q := New(db, fast())
		q.Register("test.never", func(context.Context, Job, func(int64, int64, string)) error { return nil })
		id := enqueue(t, db, q, "test.never", owner, `{}`) // q is never started: the job stays queued
		if _, err := q.Get(ctx, other, id); !errs.Is(err, errs.NotFound) {
			t.Errorf("Get of another tenant's job: %v, want NotFound", err)
		}
		if err := q.Cancel(ctx, other, id); !errs.Is(err, errs.NotFound) {
			t.Errorf("Cancel of another tenant's job: %v, want NotFound", err)
		}
		if err := q.Retry(ctx, other, id); !errs.Is(err, errs.NotFound) {
			t.Errorf("Retry of another tenant's job: %v, want NotFound", err)
		}
		if list, err := q.List(ctx, other, ""); err != nil || len(list) != 0 {
			t.Errorf("List of another tenant: %v, %v", list, err)
		}
		if s, err := q.Get(ctx, owner, id); err != nil || s.State != Queued {
			t.Errorf("the owner's job after the other tenant's attempts: %+v, %v", s, err)
		}
		list, err := q.List(ctx, owner, "test.never")
		if err != nil || len(list) != 1 || list[0].ID != id {
			t.Errorf("List of the owner: %+v, %v", list, err)
		}
	})
}

// TestEnqueueLatency measures the time from commit to the handler starting.
func TestEnqueueLatency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tid := tenant(t, db)
		startedAt := make(chan time.Time, 1)
		cfg := fast()
		cfg.PollInterval = time.Second // the default: the measurement shows the wake-up path
		q := New(db, cfg)
		q.Register("test.ping", func(context.Context, Job, func(int64, int64, string)) error {
			startedAt <- time.Now()
			return nil
		})
		start(t, q)
		var lat []time.Duration
		for range 20 {
			var committed time.Time
			err := db.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := q.Enqueue(context.Background(), tx, "test.ping", tid, nil)
				committed = time.Now()
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			lat = append(lat, (<-startedAt).Sub(committed))
			time.Sleep(5 * time.Millisecond)
		}
		slices.Sort(lat)
		t.Logf("enqueue → handler start: median %v, max %v (%d jobs)", lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond), len(lat))
		if lat[len(lat)/2] > 500*time.Millisecond {
			t.Errorf("median latency %v: the wake-up does not work", lat[len(lat)/2])
		}
	})
}

func TestETA(t *testing.T) {
	for _, c := range []struct {
		started, at, done, total int64
		want                     int64
		ok                       bool
	}{
		{1000, 2000, 25, 100, 5000, true}, // a quarter in 1 s: 3 s more
		{1000, 2000, 0, 100, 0, false},    // no progress yet
		{1000, 2000, 100, 100, 0, false},  // finished
		{1000, 2000, 10, 0, 0, false},     // unknown total
		{1000, 1000, 10, 100, 0, false},   // no time elapsed
	} {
		got, ok := eta(c.started, c.at, c.done, c.total)
		if got != c.want || ok != c.ok {
			t.Errorf("eta(%d, %d, %d, %d) = %d, %v; want %d, %v", c.started, c.at, c.done, c.total, got, ok, c.want, c.ok)
		}
	}
	if got := truncate("défaut", 2); got != "d…" {
		t.Errorf("truncate splits a rune: %q", got)
	}
}

// A worker that lost its lease (another worker took the job over) stops its handler
// and drops its result: only the holder of the lease writes.
func TestLostLeaseIsFenced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid := tenant(t, db)
		started := make(chan struct{}, 1)
		causes := make(chan error, 1)
		q := New(db, fast())
		q.Register("test.endless", func(ctx context.Context, job Job, progress func(int64, int64, string)) error {
			started <- struct{}{}
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return errors.New("should not be recorded")
		})
		start(t, q)
		id := enqueue(t, db, q, "test.endless", tid, `{}`)
		<-started
		// Another worker takes the job over, as if this one's lease had run out.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE jobs SET lease_owner = 'w-other', attempts = 2 WHERE id = ?`, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case cause := <-causes:
			if !errors.Is(cause, errLeaseLost) {
				t.Errorf("handler stopped by %v, want the lost lease", cause)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the handler kept running after its lease was lost")
		}
		time.Sleep(100 * time.Millisecond) // let the attempt settle
		var owner string
		if err := db.Reader().QueryRow(ctx, `SELECT lease_owner FROM jobs WHERE id = ?`, id).Scan(&owner); err != nil {
			t.Fatal(err)
		}
		s, _ := q.Get(ctx, tid, id)
		if owner != "w-other" || s.State != Running || s.Attempts != 2 || s.LastError != "" {
			t.Errorf("the old worker overwrote the new holder's job: owner %q, %+v", owner, s)
		}
	})
}

func TestPrune(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	tid := tenant(t, db)
	q := New(db, fast())
	q.Register("test.ok", func(context.Context, Job, func(int64, int64, string)) error { return nil })
	start(t, q)
	done := enqueue(t, db, q, "test.ok", tid, `{}`)
	waitFor(t, q, tid, done, "done", inState(Done))
	idle := New(db, fast())
	idle.Register("test.waiting", func(context.Context, Job, func(int64, int64, string)) error { return nil })
	queued := enqueue(t, db, idle, "test.waiting", tid, `{}`)
	if n, err := q.Prune(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("prune of jobs finished over an hour ago: %d, %v", n, err)
	}
	if n, err := q.Prune(ctx, time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Errorf("prune: %d, %v; want the one finished job", n, err)
	}
	if _, err := q.Get(ctx, tid, done); !errs.Is(err, errs.NotFound) {
		t.Errorf("pruned job: %v", err)
	}
	if _, err := q.Get(ctx, tid, queued); err != nil {
		t.Errorf("a queued job was pruned: %v", err)
	}
}
