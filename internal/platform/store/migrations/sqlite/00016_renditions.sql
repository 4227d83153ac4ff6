-- Protected renditions of clips: made by a background job from the sealed original at
-- the identity level the speaker's consent allowed when it was asked for, sealed like
-- the original, with the automated checks' findings on the exact output file and its
-- SHA-256.

-- +goose Up

CREATE TABLE testimony_renditions (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    testimony_id   TEXT NOT NULL REFERENCES testimonies(id),
    clip_id        TEXT NOT NULL REFERENCES testimony_clips(id),
    recording_id   TEXT NOT NULL REFERENCES testimony_recordings(id),
    identity_level TEXT NOT NULL,
    job_id         TEXT NOT NULL,
    status         TEXT NOT NULL,             -- queued | done | failed
    blob_key       TEXT,
    size           INTEGER,
    sha256         TEXT,
    findings       TEXT NOT NULL DEFAULT '',  -- JSON of the automated checks
    clean          INTEGER NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    finished_at    INTEGER
);
CREATE INDEX testimony_renditions_testimony ON testimony_renditions (tenant_id, testimony_id);

-- +goose Down
DROP TABLE testimony_renditions;
