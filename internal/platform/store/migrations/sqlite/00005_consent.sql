-- Consent: every version of what a returnee allows, never changed once written, and
-- the event outbox that tells other capabilities (takedown of publications) about a
-- withdrawal or any other change, written in the same transaction as the change.

-- +goose Up
-- One row per version; a withdrawal is a version too (status 'withdrawn'). Lists are
-- comma-separated enumeration values or BCP 47 tags; the named communities (places)
-- and a withdrawal's reason are sealed with the returnee's data key, so erasure
-- shreds them too.
CREATE TABLE consent_versions (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    returnee_id     TEXT NOT NULL REFERENCES returnees(id),
    version         INTEGER NOT NULL CHECK (version >= 1),
    status          TEXT NOT NULL CHECK (status IN ('active', 'withdrawn')),
    uses            TEXT NOT NULL,
    identity_level  TEXT NOT NULL,      -- '' on a withdrawal
    audiences       TEXT NOT NULL,
    communities     BLOB,               -- sealed JSON list of names; NULL when none
    languages       TEXT NOT NULL,
    expires_on      TEXT NOT NULL,      -- YYYY-MM-DD, the last day it holds (UTC); '' on a withdrawal
    taken_by        TEXT NOT NULL REFERENCES users(id),
    in_custody      INTEGER NOT NULL,
    advisor_present INTEGER NOT NULL,
    statement_key   TEXT NOT NULL,      -- catalogue key of the statement read out, '' on a withdrawal
    statement_ack   INTEGER NOT NULL,
    reason          BLOB,               -- a withdrawal's reason, sealed; NULL when none was given
    created_at      INTEGER NOT NULL,
    UNIQUE (tenant_id, returnee_id, version)
);

-- Versions are never changed in place: the database itself refuses.
-- +goose StatementBegin
CREATE TRIGGER consent_versions_no_update BEFORE UPDATE ON consent_versions
BEGIN SELECT RAISE(ABORT, 'consent_versions is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER consent_versions_no_delete BEFORE DELETE ON consent_versions
BEGIN SELECT RAISE(ABORT, 'consent_versions is append-only'); END;
-- +goose StatementEnd

-- The outbox of internal/platform/events: seq is gap-free and in commit order; the
-- payload is a flat JSON object of opaque ids and numbers, never content.
CREATE TABLE events (
    seq       INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    payload   TEXT NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX events_tenant ON events (tenant_id, seq);

-- +goose Down
DROP TABLE events;
DROP TABLE consent_versions;
