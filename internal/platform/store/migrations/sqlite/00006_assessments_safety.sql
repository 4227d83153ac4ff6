-- Assessments and "cleared to speak"; safety plans and well-being check-ins.
-- Free text (notes, measures, relocation notes, emergency contacts, concerns) is
-- sealed with the returnee's data key, so erasure shreds it too. Scores and levels
-- stay in clear: "cleared to speak" is computed from them.

-- +goose Up
CREATE TABLE assessments (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    returnee_id   TEXT NOT NULL REFERENCES returnees(id),
    kind          TEXT NOT NULL,              -- reengagement_risk, readiness_to_speak, retaliation_threat
    instrument    TEXT NOT NULL,              -- item list version, e.g. inoculate-risk-1
    assessed_on   TEXT NOT NULL,              -- YYYY-MM-DD
    validity_days INTEGER NOT NULL,
    scores        TEXT NOT NULL,              -- JSON object: item key → score
    score         INTEGER NOT NULL,
    level         TEXT NOT NULL DEFAULT '',   -- risk and threat: low, moderate, high, critical
    ready         INTEGER NOT NULL DEFAULT 0, -- readiness: ready or not
    notes         BLOB,                       -- sealed
    author_id     TEXT NOT NULL REFERENCES users(id),
    created_at    INTEGER NOT NULL,
    decision      TEXT NOT NULL DEFAULT '',   -- '', signed_off, returned
    reviewer_id   TEXT REFERENCES users(id),
    reviewed_at   INTEGER,
    review_note   BLOB,                       -- sealed
    -- The two-person rule, held by the database too.
    CHECK (reviewer_id IS NULL OR reviewer_id <> author_id)
);
CREATE INDEX assessments_returnee ON assessments (tenant_id, returnee_id, kind, assessed_on);

-- Per-tenant settings of this capability (risk_threshold).
CREATE TABLE assessment_settings (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- A returnee's safety plan: every save is a new version, nothing is overwritten.
CREATE TABLE safety_plans (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    returnee_id        TEXT NOT NULL REFERENCES returnees(id),
    version            INTEGER NOT NULL,
    measures           BLOB,                  -- sealed
    relocation         INTEGER NOT NULL DEFAULT 0,
    relocation_notes   BLOB,                  -- sealed
    contacts           BLOB,                  -- sealed JSON list of {name, phone}
    checkin_every_days INTEGER NOT NULL,
    created_by         TEXT NOT NULL REFERENCES users(id),
    created_at         INTEGER NOT NULL,
    UNIQUE (tenant_id, returnee_id, version)
);

-- Well-being check-ins held with a returnee.
CREATE TABLE wellbeing_checkins (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    returnee_id TEXT NOT NULL REFERENCES returnees(id),
    held_on     TEXT NOT NULL,                -- YYYY-MM-DD
    held_by     TEXT NOT NULL REFERENCES users(id),
    wellbeing   INTEGER NOT NULL,             -- 1 (very poor) … 5 (very good)
    concerns    BLOB,                         -- sealed
    next_due    TEXT NOT NULL,                -- YYYY-MM-DD
    created_at  INTEGER NOT NULL
);
CREATE INDEX wellbeing_checkins_returnee ON wellbeing_checkins (tenant_id, returnee_id, held_on);

-- Check-ins owed because something happened (an engagement): met by any check-in
-- held on or after after_on.
CREATE TABLE wellbeing_dues (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    returnee_id TEXT NOT NULL REFERENCES returnees(id),
    source      TEXT NOT NULL,                -- engagement
    after_on    TEXT NOT NULL,                -- YYYY-MM-DD
    due_on      TEXT NOT NULL,                -- YYYY-MM-DD
    created_at  INTEGER NOT NULL
);
CREATE INDEX wellbeing_dues_returnee ON wellbeing_dues (tenant_id, returnee_id, due_on);

-- +goose Down
DROP TABLE wellbeing_dues;
DROP TABLE wellbeing_checkins;
DROP TABLE safety_plans;
DROP TABLE assessment_settings;
DROP TABLE assessments;
