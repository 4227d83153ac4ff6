-- Communities: the places and diasporas where the program works, their traditional
-- chain of command (the authorities to consult, in order), partner organisations with
-- their contact people (name, phone and email sealed by the vault with the community's
-- data key, subject = community id), and aggregate context figures (never lists of
-- people). Times are Unix ms.

-- +goose Up

CREATE TABLE communities (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,              -- place | diaspora
    region        TEXT NOT NULL DEFAULT '',
    languages     TEXT NOT NULL DEFAULT '',   -- comma-separated BCP 47 tags
    brief         TEXT NOT NULL DEFAULT '',   -- cultural brief, safe Markdown (rendered escaped)
    chain_version INTEGER NOT NULL DEFAULT 0, -- bumped by every chain change: serialises them
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX communities_tenant ON communities (tenant_id, name);

-- Authorities in the order they must be consulted. Removed ones stay (engagement
-- approvals may refer to them) with position 0 and removed_at set; the active ones of a
-- community always hold positions 1..n.
CREATE TABLE community_authorities (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    community_id TEXT NOT NULL REFERENCES communities(id),
    kind         TEXT NOT NULL,               -- elder | imam | clan_head | family_head | partner_lead | other
    display_name TEXT NOT NULL,               -- a public role, e.g. "Imam of the central mosque"
    position     INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    removed_by   TEXT,
    removed_at   INTEGER
);
CREATE INDEX community_authorities_chain ON community_authorities (tenant_id, community_id, position);

CREATE TABLE community_partners (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    community_id TEXT NOT NULL REFERENCES communities(id),
    kind         TEXT NOT NULL,               -- mosque | centre | ngo | school | other
    name         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    removed_by   TEXT,
    removed_at   INTEGER
);
CREATE INDEX community_partners_community ON community_partners (tenant_id, community_id);

CREATE TABLE community_partner_contacts (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    community_id TEXT NOT NULL REFERENCES communities(id),
    partner_id   TEXT NOT NULL REFERENCES community_partners(id),
    name         BLOB NOT NULL,               -- sealed
    phone        BLOB,                        -- sealed
    email        BLOB,                        -- sealed
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    removed_by   TEXT,
    removed_at   INTEGER
);
CREATE INDEX community_partner_contacts_partner ON community_partner_contacts (tenant_id, partner_id);

-- Aggregate figures, each with its source and year; a new figure of a kind supersedes
-- the older ones on the page, which stay as history.
CREATE TABLE community_figures (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    community_id TEXT NOT NULL REFERENCES communities(id),
    kind         TEXT NOT NULL,               -- population | youth_share
    value        REAL NOT NULL,
    source       TEXT NOT NULL,
    year         INTEGER NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  INTEGER NOT NULL
);
CREATE INDEX community_figures_community ON community_figures (tenant_id, community_id, kind, recorded_at);

-- Reveals of a partner contact, with the written reason sealed; the audit log holds
-- the reveal by opaque ids.
CREATE TABLE community_reveals (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    community_id TEXT NOT NULL REFERENCES communities(id),
    contact_id   TEXT NOT NULL REFERENCES community_partner_contacts(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    reason       BLOB NOT NULL,               -- sealed
    audit_seq    INTEGER NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX community_reveals_community ON community_reveals (tenant_id, community_id, at);

-- +goose Down
DROP TABLE community_reveals;
DROP TABLE community_figures;
DROP TABLE community_partner_contacts;
DROP TABLE community_partners;
DROP TABLE community_authorities;
DROP TABLE communities;
