-- The anonymous audience survey of forum-like engagements: one short link per
-- engagement, and the answers given through it. Nothing here identifies a
-- respondent: no name, no address, no cookie, no free text; a response's id is
-- random (not time-ordered) and its time is rounded down to the hour, so timing
-- cannot single anyone out. Times are Unix ms.

-- +goose Up

CREATE TABLE survey_links (
    code          TEXT PRIMARY KEY,           -- 8 characters of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ: /s/{code}
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    engagement_id TEXT NOT NULL UNIQUE REFERENCES engagements(id), -- one link per engagement
    created_at    INTEGER NOT NULL,
    closed_at     INTEGER                     -- answers are refused from then on
);

CREATE TABLE survey_responses (
    id            TEXT PRIMARY KEY,           -- random UUID: a time-ordered id would undo the rounding
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    engagement_id TEXT NOT NULL REFERENCES engagements(id),
    instrument    TEXT NOT NULL,              -- instrument version, "v1"
    phase         TEXT NOT NULL CHECK (phase IN ('before', 'after')),
    language      TEXT NOT NULL,              -- the page's language, "en" | "ar"
    answers       TEXT NOT NULL,              -- JSON object: item id → 1..5; skipped items absent
    submitted_at  INTEGER NOT NULL            -- rounded down to the hour
);
CREATE INDEX survey_responses_engagement ON survey_responses (tenant_id, engagement_id, submitted_at);

-- +goose Down
DROP TABLE survey_responses;
DROP TABLE survey_links;
