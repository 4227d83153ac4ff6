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
    identity_level  TEXT NOT NULL,
    audiences       TEXT NOT NULL,
    communities     BYTEA,
    languages       TEXT NOT NULL,
    expires_on      TEXT NOT NULL,
    taken_by        TEXT NOT NULL REFERENCES users(id),
    in_custody      BOOLEAN NOT NULL,
    advisor_present BOOLEAN NOT NULL,
    statement_key   TEXT NOT NULL,
    statement_ack   BOOLEAN NOT NULL,
    reason          BYTEA,
    created_at      BIGINT NOT NULL,
    UNIQUE (tenant_id, returnee_id, version)
);

-- Versions are never changed in place: the database itself refuses.
-- +goose StatementBegin
CREATE FUNCTION consent_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent_versions is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER consent_versions_no_change BEFORE UPDATE OR DELETE ON consent_versions
    FOR EACH ROW EXECUTE FUNCTION consent_versions_append_only();

-- The outbox of internal/platform/events: seq is gap-free and in commit order (the
-- writer locks the table); the payload is a flat JSON object of opaque ids.
CREATE TABLE events (
    seq       BIGINT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    payload   TEXT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX events_tenant ON events (tenant_id, seq);

-- +goose Down
DROP TABLE events;
DROP TABLE consent_versions;
DROP FUNCTION consent_versions_append_only();
