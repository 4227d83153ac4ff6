-- Returnees: a public alias in clear; identity fields sealed by the vault, each bound
-- to tenant, table, column and row. Erasure shreds the data key and clears the fields.

-- +goose Up
CREATE TABLE returnees (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    alias      TEXT NOT NULL,
    legal_name BYTEA,
    birth_date BYTEA,
    phone      BYTEA,
    address    BYTEA,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    erased_at  BIGINT,
    UNIQUE (tenant_id, alias)
);

-- Every reveal of an identity, with its written reason. The reason is sealed with the
-- returnee's data key (it may name people), so erasure shreds it too; the audit log
-- holds the reveal itself, by opaque ids.
CREATE TABLE identity_reveals (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    returnee_id TEXT NOT NULL REFERENCES returnees(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    reason      BYTEA NOT NULL,
    audit_seq   BIGINT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX identity_reveals_returnee ON identity_reveals (tenant_id, returnee_id, at);

-- +goose Down
DROP TABLE identity_reveals;
DROP TABLE returnees;
