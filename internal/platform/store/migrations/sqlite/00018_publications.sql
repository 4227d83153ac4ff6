-- Publications of released renditions on channels, and the takedown tasks a consent
-- withdrawal or narrowing raises for every publication that relied on it. A release
-- records the audience it was cleared for; a revoked release can never be used again.

-- +goose Up

ALTER TABLE rendition_releases ADD COLUMN audience TEXT NOT NULL DEFAULT 'national';
ALTER TABLE rendition_releases ADD COLUMN revoked_at INTEGER;

CREATE TABLE publications (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    rendition_id TEXT NOT NULL REFERENCES testimony_renditions(id),
    channel_id   TEXT NOT NULL REFERENCES channels(id),
    address      TEXT NOT NULL,              -- where it is: a URL, or a place and time for a screening
    language     TEXT NOT NULL,
    published_on TEXT NOT NULL,              -- YYYY-MM-DD
    status       TEXT NOT NULL,              -- live | takedown | taken_down
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX publications_rendition ON publications (tenant_id, rendition_id);

CREATE TABLE takedown_tasks (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    publication_id TEXT NOT NULL REFERENCES publications(id),
    reason         TEXT NOT NULL,            -- a catalogue key: consent withdrawn | narrowed
    status         TEXT NOT NULL,            -- open | done
    created_at     INTEGER NOT NULL,
    closed_by      TEXT,
    closed_at      INTEGER,
    note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX takedown_tasks_open ON takedown_tasks (tenant_id, status, created_at);
CREATE UNIQUE INDEX takedown_tasks_one_open ON takedown_tasks (publication_id) WHERE status = 'open';

-- +goose Down
DROP TABLE takedown_tasks;
DROP TABLE publications;
