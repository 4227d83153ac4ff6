-- Durable background jobs (transcoding, face filling, re-voicing…), enqueued in the
-- same transaction as the change that asks for them. A worker claims a job by taking a
-- lease that it renews while the job runs: when a worker dies, its lease runs out and
-- another worker takes the job over, so a crash or restart loses none. args hold
-- references (IDs), never personal data: they are stored in clear. Times are Unix ms;
-- 0 means "not yet".

-- +goose Up

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    kind             TEXT NOT NULL CHECK (kind <> ''),
    args             TEXT NOT NULL,               -- JSON
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,  -- attempts started, the current one included
    max_attempts     INTEGER NOT NULL CHECK (max_attempts > 0),
    run_after        INTEGER NOT NULL,            -- a queued job waits until then (retry backoff)
    lease_owner      TEXT NOT NULL DEFAULT '',    -- the worker running it; '' when not running
    lease_until      INTEGER NOT NULL DEFAULT 0,  -- past this, the worker is presumed dead
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress_done    INTEGER NOT NULL DEFAULT 0,
    progress_total   INTEGER NOT NULL DEFAULT 0,
    progress_note    TEXT NOT NULL DEFAULT '',
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    started_at       INTEGER NOT NULL DEFAULT 0,  -- of the current or last attempt
    progress_at      INTEGER NOT NULL DEFAULT 0,  -- when progress was last reported
    finished_at      INTEGER NOT NULL DEFAULT 0
);
-- Workers look for due queued jobs and for running jobs whose lease ran out.
CREATE INDEX jobs_due ON jobs (state, run_after);
CREATE INDEX jobs_tenant_kind ON jobs (tenant_id, kind, created_at);

-- +goose Down

DROP TABLE jobs;
