-- Foundation: tenants, users and their credentials, sessions, API tokens, the
-- identity vault's data keys, and the append-only audit log.
-- Times are Unix milliseconds (BIGINT) on both stores.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    demo       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    totp_secret    BYTEA,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    totp_enrolled  BOOLEAN NOT NULL DEFAULT FALSE,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    demo           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE sessions (
    id_hash      BYTEA PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    stage        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    auth_at      BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    token_hash   BYTEA NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_failures (
    account_key BYTEA NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (account_key, at);

CREATE TABLE setup_links (
    token_hash BYTEA PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE data_keys (
    subject_id  TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    kek_version INTEGER NOT NULL,
    wrapped     BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE audit_entries (
    seq       BIGINT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    at        BIGINT NOT NULL,
    leaf      BYTEA NOT NULL
);
CREATE INDEX audit_entries_tenant ON audit_entries (tenant_id, seq);

-- +goose StatementBegin
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();

CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    size       BIGINT NOT NULL,
    frontier   BYTEA NOT NULL,
    checkpoint TEXT NOT NULL
);

CREATE TABLE audit_checkpoints (
    size       BIGINT PRIMARY KEY,
    checkpoint TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_head;
DROP TABLE audit_entries;
DROP FUNCTION audit_entries_append_only();
DROP TABLE data_keys;
DROP TABLE setup_links;
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE tenants;
