-- Testimonies: a returnee's recorded account, its transcripts and subtitles per
-- language (timecoded segments, sealed with the returnee's data key: they may name
-- people and places), the redaction flags raised on them (the known term itself is
-- sealed: a flag shows the words of the text, never a legal name it matched), and
-- clips as time ranges. Times are Unix ms; segment times are milliseconds from the
-- start of the recording.

-- +goose Up

CREATE TABLE testimonies (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    returnee_id TEXT NOT NULL REFERENCES returnees(id),
    title       TEXT NOT NULL,              -- a working title, safe for every reader
    language    TEXT NOT NULL,              -- the language spoken
    recorded_on TEXT NOT NULL DEFAULT '',   -- YYYY-MM-DD or ''
    created_by  TEXT NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX testimonies_returnee ON testimonies (tenant_id, returnee_id);

CREATE TABLE testimony_segments (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    testimony_id TEXT NOT NULL REFERENCES testimonies(id),
    language     TEXT NOT NULL,
    idx          INTEGER NOT NULL,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    text         BYTEA NOT NULL,             -- sealed
    themes       TEXT NOT NULL DEFAULT '',  -- comma-separated theme keys
    PRIMARY KEY (testimony_id, language, idx),
    CHECK (end_ms >= start_ms AND start_ms >= 0)
);

CREATE TABLE testimony_flags (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    testimony_id TEXT NOT NULL REFERENCES testimonies(id),
    language     TEXT NOT NULL,
    idx          INTEGER NOT NULL,          -- the segment
    span_start   INTEGER NOT NULL,          -- byte offsets in the segment's text
    span_end     INTEGER NOT NULL,
    kind         TEXT NOT NULL,             -- name | place | phone | email | address | id_number | term
    match        BYTEA NOT NULL,             -- sealed: the words of the text
    status       TEXT NOT NULL,             -- open | redacted | accepted
    reason       TEXT NOT NULL DEFAULT '',
    resolved_by  TEXT,
    resolved_at  BIGINT 
);
CREATE INDEX testimony_flags_testimony ON testimony_flags (tenant_id, testimony_id, language, status);

CREATE TABLE testimony_clips (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    testimony_id TEXT NOT NULL REFERENCES testimonies(id),
    title        TEXT NOT NULL,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    themes       TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   BIGINT  NOT NULL,
    CHECK (end_ms > start_ms AND start_ms >= 0)
);
CREATE INDEX testimony_clips_testimony ON testimony_clips (tenant_id, testimony_id);

-- +goose Down
DROP TABLE testimony_clips;
DROP TABLE testimony_flags;
DROP TABLE testimony_segments;
DROP TABLE testimonies;
