-- Foundation: tenants, users and their credentials, sessions, API tokens, the
-- identity vault's data keys, and the append-only audit log.
-- Times are Unix milliseconds (INTEGER) on both stores.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    demo       INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    totp_secret    BLOB,                       -- sealed by the vault; NULL until enrolment begins
    totp_last_step INTEGER NOT NULL DEFAULT 0, -- last accepted time step: replays are refused
    totp_enrolled  INTEGER NOT NULL DEFAULT 0, -- 0 while totp_secret is only a pending enrolment
    disabled       INTEGER NOT NULL DEFAULT 0,
    demo           INTEGER NOT NULL DEFAULT 0, -- demo users skip TOTP enrolment
    created_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE sessions (
    id_hash      BLOB PRIMARY KEY,  -- SHA-256 of the 256-bit session id; the id itself is never stored
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    stage        TEXT NOT NULL,     -- 'totp': password accepted, code pending; 'enrol': must enrol TOTP; 'full'
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    auth_at      INTEGER NOT NULL   -- last full authentication, for step-up
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_failures (
    account_key BLOB NOT NULL,  -- HMAC of tenant and user name: no names stored, unknown users throttled alike
    at          INTEGER NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (account_key, at);

CREATE TABLE setup_links (
    token_hash BLOB PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE data_keys (
    subject_id  TEXT PRIMARY KEY,  -- the record whose fields the key protects (a returnee id, a user id)
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    kek_version INTEGER NOT NULL,
    wrapped     BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE audit_entries (
    seq       INTEGER PRIMARY KEY,  -- leaf index in the Merkle tree, from 0, without gaps
    tenant_id TEXT NOT NULL,        -- '' for deployment-wide events
    at        INTEGER NOT NULL,
    leaf      BLOB NOT NULL         -- the canonical JSON record that is hashed into the tree
);
CREATE INDEX audit_entries_tenant ON audit_entries (tenant_id, seq);

-- The log is append-only: the database itself refuses to change or delete an entry.
-- +goose StatementBegin
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END;
-- +goose StatementEnd

CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    size       INTEGER NOT NULL,
    frontier   BLOB NOT NULL,  -- roots of the perfect subtrees, left to right: appends in O(log n)
    checkpoint TEXT NOT NULL   -- the latest signed checkpoint (note format)
);

CREATE TABLE audit_checkpoints (
    size       INTEGER PRIMARY KEY,
    checkpoint TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_head;
DROP TABLE audit_entries;
DROP TABLE data_keys;
DROP TABLE setup_links;
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE tenants;
