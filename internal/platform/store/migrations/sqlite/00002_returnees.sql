-- Returnees: a public alias in clear; identity fields sealed by the vault, each bound
-- to tenant, table, column and row. Erasure shreds the data key and clears the fields.

-- +goose Up
CREATE TABLE returnees (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    alias      TEXT NOT NULL,
    legal_name BLOB,
    birth_date BLOB,
    phone      BLOB,
    address    BLOB,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    erased_at  INTEGER,
    UNIQUE (tenant_id, alias)
);

-- +goose Down
DROP TABLE returnees;
