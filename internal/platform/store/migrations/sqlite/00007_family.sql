-- Family and mentors: a returnee's relatives (with their stance towards the program),
-- mentor assignments and reintegration milestones. Free text that may name people or
-- places is sealed by the vault with the returnee's data key (subject = returnee id),
-- so erasing the returnee shreds it too. Dates are YYYY-MM-DD text, times Unix ms.

-- +goose Up

-- A relative is an identity (id, who recorded it, whether it was removed) whose content
-- lives in versions: every edit adds a version, so nothing recorded is ever lost.
CREATE TABLE relatives (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    returnee_id    TEXT NOT NULL REFERENCES returnees(id),
    version        INTEGER NOT NULL,          -- the current version
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    removed_at     INTEGER,                   -- soft delete: the versions stay
    removed_by     TEXT,
    removed_reason BLOB                       -- sealed
);
CREATE INDEX relatives_returnee ON relatives (tenant_id, returnee_id);

CREATE TABLE relative_versions (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    returnee_id    TEXT NOT NULL REFERENCES returnees(id),
    relative_id    TEXT NOT NULL REFERENCES relatives(id),
    version        INTEGER NOT NULL,
    relation       TEXT NOT NULL,
    stance         TEXT NOT NULL,             -- supportive | neutral | hostile | unknown
    community      TEXT NOT NULL DEFAULT '',  -- a name for now; a link once communities exist
    community_key  TEXT NOT NULL DEFAULT '',  -- community folded for matching (HostileIn)
    recorded_on    TEXT NOT NULL,
    name           BLOB NOT NULL,             -- sealed
    community_role BLOB,                      -- sealed
    contact        BLOB,                      -- sealed
    notes          BLOB,                      -- sealed
    changed_fields TEXT NOT NULL DEFAULT '',  -- comma-separated field names changed by this version
    changed_by     TEXT NOT NULL,
    changed_at     INTEGER NOT NULL,
    UNIQUE (relative_id, version)
);
CREATE INDEX relative_versions_stance ON relative_versions (tenant_id, returnee_id, stance);

-- Reveals of sealed family fields (a relative's details, an external mentor's name),
-- with the written reason sealed; the audit log holds the reveal by opaque ids.
CREATE TABLE family_reveals (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    returnee_id TEXT NOT NULL REFERENCES returnees(id),
    object_kind TEXT NOT NULL,                -- relative | mentor
    object_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id),
    reason      BLOB NOT NULL,                -- sealed
    audit_seq   INTEGER NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX family_reveals_returnee ON family_reveals (tenant_id, returnee_id, at);

-- A mentor is a user of the tenant or an external person (name sealed).
CREATE TABLE mentor_assignments (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    returnee_id    TEXT NOT NULL REFERENCES returnees(id),
    mentor_user_id TEXT REFERENCES users(id), -- NULL for an external mentor
    external_name  BLOB,                      -- sealed; NULL for a user
    organisation   TEXT NOT NULL DEFAULT '',
    from_on        TEXT NOT NULL,
    until_on       TEXT NOT NULL DEFAULT '',  -- planned end, then the actual end once ended
    reason         BLOB NOT NULL,             -- sealed
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    ended_at       INTEGER,
    ended_by       TEXT,
    end_reason     BLOB,                      -- sealed
    replaced_by    TEXT                       -- the assignment that ended this one, if any
);
CREATE INDEX mentor_assignments_returnee ON mentor_assignments (tenant_id, returnee_id, from_on);
-- At most one open assignment per returnee: assigning a new mentor ends the open one.
CREATE UNIQUE INDEX mentor_assignments_open ON mentor_assignments (returnee_id) WHERE ended_at IS NULL;

CREATE TABLE milestones (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    returnee_id TEXT NOT NULL REFERENCES returnees(id),
    kind        TEXT NOT NULL,                -- housing | work | education | family | health | other
    target_on   TEXT NOT NULL,
    achieved_on TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,                -- planned | in_progress | achieved | missed
    note        BLOB,                         -- sealed
    version     INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX milestones_returnee ON milestones (tenant_id, returnee_id, target_on);

-- +goose Down
DROP TABLE milestones;
DROP TABLE mentor_assignments;
DROP TABLE family_reveals;
DROP TABLE relative_versions;
DROP TABLE relatives;
