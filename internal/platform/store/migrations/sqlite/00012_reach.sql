-- Reach model: the audience cells a program wants to reach (community × language ×
-- age band, sized from aggregate figures with a source: never lists of people), the
-- probability that a channel reaches each cell, the pickup graph between channels
-- (an independent-cascade graph), the concrete options (engagements and publications
-- seeded on a channel, with their costs), and saved plans. Channels are the
-- engagements capability's records (channels table), referenced, never copied.
-- Times are Unix ms.

-- +goose Up

CREATE TABLE audience_cells (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    community_id TEXT REFERENCES communities(id), -- NULL: not tied to one community (a national online audience)
    language     TEXT NOT NULL,               -- BCP 47 tag, lower-case
    age_band     TEXT NOT NULL CHECK (age_band IN ('13-17', '18-24', '25-34', '35+')),
    size         REAL NOT NULL CHECK (size >= 0), -- people, from aggregate figures
    source       TEXT NOT NULL CHECK (source <> ''),
    year         INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);
-- One cell per community, language and age band; COALESCE makes the cells without a
-- community unique too (NULLs are otherwise distinct).
CREATE UNIQUE INDEX audience_cells_key ON audience_cells (tenant_id, COALESCE(community_id, ''), language, age_band);

CREATE TABLE channel_reach (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    channel_id  TEXT NOT NULL REFERENCES channels(id),
    cell_id     TEXT NOT NULL REFERENCES audience_cells(id),
    probability REAL NOT NULL CHECK (probability > 0 AND probability <= 1),
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (channel_id, cell_id)
);
CREATE INDEX channel_reach_tenant ON channel_reach (tenant_id, cell_id);

CREATE TABLE channel_pickups (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    from_channel_id TEXT NOT NULL REFERENCES channels(id),
    to_channel_id   TEXT NOT NULL REFERENCES channels(id),
    probability     REAL NOT NULL CHECK (probability > 0 AND probability <= 1),
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_by      TEXT NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (from_channel_id, to_channel_id),
    CHECK (from_channel_id <> to_channel_id)
);
CREATE INDEX channel_pickups_tenant ON channel_pickups (tenant_id, to_channel_id);

CREATE TABLE reach_options (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    kind           TEXT NOT NULL CHECK (kind IN ('public_forum', 'media_interview', 'school_talk', 'mosque_talk', 'online_live', 'publication')),
    title          TEXT NOT NULL,             -- unique per tenant: the key of CSV imports
    channel_id     TEXT NOT NULL REFERENCES channels(id), -- where the story is seeded
    community_id   TEXT REFERENCES communities(id),
    language       TEXT NOT NULL,             -- BCP 47 tag, lower-case
    identity_level TEXT NOT NULL CHECK (identity_level IN ('full', 'first_name', 'alias_protected', 'audio_revoiced', 'text_only')),
    speaker_id     TEXT REFERENCES returnees(id), -- a proposed speaker, if any
    money          REAL NOT NULL CHECK (money >= 0),         -- in the tenant's currency units
    speaker_hours  REAL NOT NULL CHECK (speaker_hours >= 0),
    notes          TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, title)
);
CREATE INDEX reach_options_channel ON reach_options (tenant_id, channel_id);

-- A plan as computed by the planner: its inputs and its result (JSON), kept so a
-- director can see later what was chosen and why.
CREATE TABLE reach_plans (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    name         TEXT NOT NULL,
    target_cells TEXT NOT NULL,               -- JSON array of audience_cells ids
    budget_money REAL NOT NULL CHECK (budget_money >= 0),
    budget_hours REAL NOT NULL CHECK (budget_hours >= 0),
    epsilon      REAL NOT NULL CHECK (epsilon > 0 AND epsilon < 1),
    status       TEXT NOT NULL CHECK (status IN ('draft', 'accepted')),
    result       TEXT NOT NULL,               -- JSON object: estimate, ratio, delta, chosen options…
    accepted_by  TEXT,
    accepted_at  INTEGER,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX reach_plans_tenant ON reach_plans (tenant_id, created_at);

CREATE TABLE reach_plan_items (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    plan_id       TEXT NOT NULL REFERENCES reach_plans(id),
    option_id     TEXT NOT NULL REFERENCES reach_options(id),
    rank          INTEGER NOT NULL,           -- 1 = chosen first
    gain          REAL NOT NULL,              -- marginal expected reach when chosen
    engagement_id TEXT REFERENCES engagements(id), -- the proposed engagement, once accepted
    PRIMARY KEY (plan_id, option_id)
);
CREATE INDEX reach_plan_items_option ON reach_plan_items (tenant_id, option_id);

-- +goose Down
DROP TABLE reach_plan_items;
DROP TABLE reach_plans;
DROP TABLE reach_options;
DROP TABLE channel_pickups;
DROP TABLE channel_reach;
DROP TABLE audience_cells;
