-- Legal screening and agreements (internal/returnees/legal). Every free text that may
-- name people or places (offences, evidence notes, referral authority and note,
-- agreement terms, transition reasons, signed documents) is sealed with the
-- returnee's data key, so erasure shreds it with the rest of the person.

-- +goose Up
-- Each screening is a new version: the highest version is the current finding.
CREATE TABLE legal_screenings (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    returnee_id    TEXT NOT NULL REFERENCES returnees(id),
    version        INTEGER NOT NULL,
    capital_crime  TEXT NOT NULL CHECK (capital_crime IN ('yes', 'no', 'undetermined')),
    evidence_notes BLOB,                -- sealed; NULL when none were written
    decided_by     TEXT NOT NULL REFERENCES users(id),
    decided_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, returnee_id, version)
);

CREATE TABLE legal_offences (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    returnee_id  TEXT NOT NULL REFERENCES returnees(id),
    screening_id TEXT NOT NULL REFERENCES legal_screenings(id),
    position     INTEGER NOT NULL,
    description  BLOB NOT NULL          -- sealed
);
CREATE INDEX legal_offences_screening ON legal_offences (tenant_id, screening_id, position);

-- Referrals to prosecution, recorded instead of an agreement when a capital crime is found.
CREATE TABLE legal_referrals (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    returnee_id  TEXT NOT NULL REFERENCES returnees(id),
    screening_id TEXT NOT NULL REFERENCES legal_screenings(id),
    referred_on  TEXT NOT NULL,         -- YYYY-MM-DD
    authority    BLOB,                  -- sealed; NULL until named
    note         BLOB,                  -- sealed; NULL when none
    created_by   TEXT NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX legal_referrals_returnee ON legal_referrals (tenant_id, returnee_id, created_at);

CREATE TABLE legal_agreements (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    returnee_id  TEXT NOT NULL REFERENCES returnees(id),
    kind         TEXT NOT NULL CHECK (kind IN ('immunity', 'leniency')),
    status       TEXT NOT NULL CHECK (status IN ('draft', 'under_review', 'signed', 'active', 'fulfilled', 'breached', 'revoked')),
    terms        BLOB NOT NULL,         -- sealed
    review_round INTEGER NOT NULL DEFAULT 0, -- signatures count within the current review round
    created_by   TEXT NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL,
    status_at    INTEGER NOT NULL
);
CREATE INDEX legal_agreements_returnee ON legal_agreements (tenant_id, returnee_id, created_at);
-- At most one agreement in progress or in force per person.
CREATE UNIQUE INDEX legal_agreements_live ON legal_agreements (tenant_id, returnee_id)
    WHERE status IN ('draft', 'under_review', 'signed', 'active');

CREATE TABLE legal_obligations (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    returnee_id  TEXT NOT NULL REFERENCES returnees(id),
    agreement_id TEXT NOT NULL REFERENCES legal_agreements(id),
    kind         TEXT NOT NULL CHECK (kind IN ('public_forums', 'media_interviews', 'recorded_testimony')),
    target       INTEGER NOT NULL,
    period_from  TEXT NOT NULL,         -- YYYY-MM-DD
    period_until TEXT NOT NULL,         -- YYYY-MM-DD, inclusive
    position     INTEGER NOT NULL,
    UNIQUE (agreement_id, kind)
);

-- Every status change, with who, when and why.
CREATE TABLE legal_agreement_events (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    returnee_id  TEXT NOT NULL REFERENCES returnees(id),
    agreement_id TEXT NOT NULL REFERENCES legal_agreements(id),
    from_status  TEXT NOT NULL,         -- '' for the creation
    to_status    TEXT NOT NULL,
    reason       BLOB,                  -- sealed; NULL when none was needed
    user_id      TEXT NOT NULL REFERENCES users(id),
    at           INTEGER NOT NULL
);
CREATE INDEX legal_agreement_events_agreement ON legal_agreement_events (tenant_id, agreement_id, at);

-- Signatures of legal officers; two different ones in one review round make it signed.
CREATE TABLE legal_signatures (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    agreement_id TEXT NOT NULL REFERENCES legal_agreements(id),
    review_round INTEGER NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id),
    at           INTEGER NOT NULL,
    PRIMARY KEY (agreement_id, review_round, user_id)
);

-- Uploaded signed documents, sealed whole; a new upload never replaces an older one.
CREATE TABLE legal_documents (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    returnee_id  TEXT NOT NULL REFERENCES returnees(id),
    agreement_id TEXT NOT NULL REFERENCES legal_agreements(id),
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content      BLOB NOT NULL,         -- sealed
    uploaded_by  TEXT NOT NULL REFERENCES users(id),
    uploaded_at  INTEGER NOT NULL
);
CREATE INDEX legal_documents_agreement ON legal_documents (tenant_id, agreement_id, uploaded_at);

-- +goose Down
DROP TABLE legal_documents;
DROP TABLE legal_signatures;
DROP TABLE legal_agreement_events;
DROP TABLE legal_obligations;
DROP TABLE legal_agreements;
DROP TABLE legal_referrals;
DROP TABLE legal_offences;
DROP TABLE legal_screenings;
