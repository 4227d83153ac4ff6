-- Engagements: public forums, media interviews, school and mosque talks, closed
-- elders' meetings and online lives, with their speakers (returnees, shown by alias),
-- the chain-of-command decisions on each revision, media ground rules, coverage,
-- debriefs, and per-user calendar feed tokens. Channels are the outlets, pages,
-- venues and partner organisations a story goes out through: one record each, shared
-- with the reach planner. Sealed columns are sealed by the vault with the
-- engagement's own data key (subject = engagement id). Times are Unix ms.

-- +goose Up

CREATE TABLE channels (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    kind         TEXT NOT NULL,               -- media_outlet | online_page | venue | partner_org
    name         TEXT NOT NULL,
    community_id TEXT REFERENCES communities(id), -- NULL: not tied to one community
    languages    TEXT NOT NULL DEFAULT '',    -- comma-separated BCP 47 tags
    notes        TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX channels_tenant ON channels (tenant_id, kind, name);

CREATE TABLE engagements (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    kind              TEXT NOT NULL,          -- public_forum | media_interview | school_talk | mosque_talk | elders_meeting | online_live
    title             TEXT NOT NULL,          -- a working title, safe to show to every reader
    community_id      TEXT REFERENCES communities(id), -- NULL only for interviews and online lives
    channel_id        TEXT REFERENCES channels(id),    -- the outlet (interviews) or venue, when recorded
    venue             TEXT NOT NULL DEFAULT '', -- the venue's public name ("community hall")
    venue_details     BLOB,                   -- sealed: address, access, rooms
    starts_at         INTEGER NOT NULL,
    ends_at           INTEGER NOT NULL,
    time_zone         TEXT NOT NULL,          -- IANA name the engagement is planned in
    language          TEXT NOT NULL,          -- BCP 47 tag
    audience          TEXT NOT NULL,          -- consent audience: own_community | named_communities | national | worldwide
    identity_level    TEXT NOT NULL,          -- consent identity level the speakers appear at
    expected_audience INTEGER NOT NULL DEFAULT 0,
    slots             INTEGER NOT NULL DEFAULT 1, -- speakers wanted
    status            TEXT NOT NULL,          -- proposed | approved | scheduled | held | debriefed | cancelled
    revision          INTEGER NOT NULL DEFAULT 1, -- bumped by every material change: approvals are per revision
    security_plan     BLOB,                   -- sealed
    security_plan_by  TEXT,
    security_plan_at  INTEGER,
    safety_review_rev INTEGER,                -- the revision a safety officer reviewed (hostile relative present)
    safety_review_by  TEXT,
    safety_review_at  INTEGER,
    safety_review     BLOB,                   -- sealed note
    cancel_reason     TEXT NOT NULL DEFAULT '',
    created_by        TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_by        TEXT NOT NULL,
    updated_at        INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX engagements_tenant_time ON engagements (tenant_id, starts_at);
CREATE INDEX engagements_community ON engagements (tenant_id, community_id);

CREATE TABLE engagement_speakers (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    engagement_id TEXT NOT NULL REFERENCES engagements(id),
    returnee_id   TEXT NOT NULL REFERENCES returnees(id),
    added_by      TEXT NOT NULL,
    added_at      INTEGER NOT NULL,
    PRIMARY KEY (engagement_id, returnee_id)
);
CREATE INDEX engagement_speakers_returnee ON engagement_speakers (tenant_id, returnee_id);

-- Every decision an authority gave, on the revision it was given for; nothing is
-- overwritten (the chain package decides what counts).
CREATE TABLE engagement_approvals (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    engagement_id TEXT NOT NULL REFERENCES engagements(id),
    authority_id  TEXT NOT NULL REFERENCES community_authorities(id),
    decision      TEXT NOT NULL,              -- approve | changes | veto
    reason        TEXT NOT NULL DEFAULT '',
    revision      INTEGER NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   INTEGER NOT NULL
);
CREATE INDEX engagement_approvals_engagement ON engagement_approvals (tenant_id, engagement_id, revision);

-- The status history, for the page and the audit of who moved what when.
CREATE TABLE engagement_events (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    engagement_id TEXT NOT NULL REFERENCES engagements(id),
    from_status   TEXT NOT NULL,
    to_status     TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    by_user       TEXT NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX engagement_events_engagement ON engagement_events (tenant_id, engagement_id, at);

-- Media interviews: the journalist, their vetting and the ground rules.
CREATE TABLE engagement_media (
    engagement_id   TEXT PRIMARY KEY REFERENCES engagements(id),
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    journalist      TEXT NOT NULL DEFAULT '',  -- a public byline
    vetting         TEXT NOT NULL DEFAULT 'not_vetted', -- not_vetted | vetted | refused
    vetting_note    TEXT NOT NULL DEFAULT '',
    vetted_by       TEXT,
    vetted_at       INTEGER,
    must_not        TEXT NOT NULL DEFAULT '',  -- what must not be said or shown
    prepublication  INTEGER NOT NULL DEFAULT 1, -- a pre-publication check was agreed
    embargo_until   INTEGER,
    updated_by      TEXT NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE engagement_coverage (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    engagement_id TEXT NOT NULL REFERENCES engagements(id),
    url           TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    added_by      TEXT NOT NULL,
    added_at      INTEGER NOT NULL
);
CREATE INDEX engagement_coverage_engagement ON engagement_coverage (tenant_id, engagement_id);

CREATE TABLE engagement_debriefs (
    engagement_id TEXT PRIMARY KEY REFERENCES engagements(id),
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    attendance    INTEGER NOT NULL,
    incidents     BLOB,                       -- sealed
    what_worked   TEXT NOT NULL DEFAULT '',
    recorded_by   TEXT NOT NULL,
    recorded_at   INTEGER NOT NULL
);

-- Calendar feed tokens: only a SHA-256 of the token is kept; revoking ends the feed.
CREATE TABLE calendar_feeds (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (tenant_id, user_id);

-- Per-tenant settings of this capability: weekly_limit, help_line.
CREATE TABLE engagement_settings (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- +goose Down
DROP TABLE engagement_settings;
DROP TABLE calendar_feeds;
DROP TABLE engagement_debriefs;
DROP TABLE engagement_coverage;
DROP TABLE engagement_media;
DROP TABLE engagement_events;
DROP TABLE engagement_approvals;
DROP TABLE engagement_speakers;
DROP TABLE engagements;
DROP TABLE channels;
