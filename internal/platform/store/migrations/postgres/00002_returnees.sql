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

-- +goose Down
DROP TABLE returnees;
