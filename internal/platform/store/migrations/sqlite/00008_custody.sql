-- Custody of identity: access requests by roles that may not reveal directly, approved
-- by a custodian for a limited time; and two-person erasure requests.

-- +goose Up
CREATE TABLE identity_access_requests (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    returnee_id  TEXT NOT NULL REFERENCES returnees(id),
    requested_by TEXT NOT NULL REFERENCES users(id),
    reason       BLOB NOT NULL,            -- sealed with the returnee's key
    requested_at INTEGER NOT NULL,
    status       TEXT NOT NULL,          -- pending, approved, refused
    decided_by   TEXT REFERENCES users(id),
    decided_at   INTEGER,
    expires_at   INTEGER                      -- approved access ends here
);
CREATE INDEX identity_access_requests_returnee ON identity_access_requests (tenant_id, returnee_id, requested_at);

CREATE TABLE erasure_requests (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    returnee_id  TEXT NOT NULL REFERENCES returnees(id),
    requested_by TEXT NOT NULL REFERENCES users(id),
    requested_at INTEGER NOT NULL,
    status       TEXT NOT NULL,          -- pending, done, cancelled
    approved_by  TEXT REFERENCES users(id),
    decided_at   INTEGER
);
CREATE INDEX erasure_requests_returnee ON erasure_requests (tenant_id, returnee_id);

-- +goose Down
DROP TABLE erasure_requests;
DROP TABLE identity_access_requests;
