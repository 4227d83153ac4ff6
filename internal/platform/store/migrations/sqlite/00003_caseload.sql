-- Caseload: case teams, the case's home community, languages, date of return,
-- assigned case worker and team, and the pipeline stage with its history.

-- +goose Up
CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE team_members (
    team_id   TEXT NOT NULL REFERENCES teams(id),
    user_id   TEXT NOT NULL REFERENCES users(id),
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (tenant_id, user_id);

ALTER TABLE returnees ADD COLUMN home_community TEXT NOT NULL DEFAULT '';
ALTER TABLE returnees ADD COLUMN languages TEXT NOT NULL DEFAULT '';       -- comma-separated BCP 47 tags
ALTER TABLE returnees ADD COLUMN returned_on TEXT NOT NULL DEFAULT '';     -- YYYY-MM-DD or ''
ALTER TABLE returnees ADD COLUMN case_worker_id TEXT REFERENCES users(id);
ALTER TABLE returnees ADD COLUMN team_id TEXT REFERENCES teams(id);
ALTER TABLE returnees ADD COLUMN stage TEXT NOT NULL DEFAULT 'identified';
ALTER TABLE returnees ADD COLUMN stage_on TEXT NOT NULL DEFAULT '';        -- date of the last move, YYYY-MM-DD

-- Every move through the pipeline, with its date and reason (sealed: it may name people).
CREATE TABLE pipeline_moves (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    returnee_id TEXT NOT NULL REFERENCES returnees(id),
    from_stage  TEXT NOT NULL,
    to_stage    TEXT NOT NULL,
    moved_on    TEXT NOT NULL,
    reason      BLOB NOT NULL,
    user_id     TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX pipeline_moves_returnee ON pipeline_moves (tenant_id, returnee_id, at);

-- +goose Down
DROP TABLE pipeline_moves;
DROP TABLE team_members;
DROP TABLE teams;
