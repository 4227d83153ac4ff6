-- The release gate of a rendition: each review or approval recorded with who and
-- when; a rendition is released only when every condition holds at that moment, and
-- the release records the exact file's SHA-256.

-- +goose Up

CREATE TABLE rendition_reviews (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    rendition_id TEXT NOT NULL REFERENCES testimony_renditions(id),
    kind         TEXT NOT NULL,            -- legal | safety | context | audience_test | approval
    decision     TEXT NOT NULL,            -- pass | fail | waived
    note         TEXT NOT NULL DEFAULT '',
    threat_level TEXT NOT NULL DEFAULT '', -- safety: the threat level it was reviewed against
    by_user      TEXT NOT NULL,
    at           BIGINT  NOT NULL
);
CREATE INDEX rendition_reviews_rendition ON rendition_reviews (tenant_id, rendition_id, kind);

CREATE TABLE rendition_releases (
    rendition_id TEXT PRIMARY KEY REFERENCES testimony_renditions(id),
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    sha256       TEXT NOT NULL,
    released_by  TEXT NOT NULL,
    released_at  BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE rendition_releases;
DROP TABLE rendition_reviews;
