-- The original recordings of testimonies: the file itself is in the blob store,
-- encrypted under a key derived from the speaker's data key (erasing the person makes
-- it unreadable); here are its key, size, checksum and kind as read from its content.

-- +goose Up

CREATE TABLE testimony_recordings (
    id           TEXT PRIMARY KEY,            -- the upload id: handing an upload over twice records it once
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    testimony_id TEXT NOT NULL REFERENCES testimonies(id),
    blob_key     TEXT NOT NULL,
    size         BIGINT  NOT NULL,
    sha256       TEXT NOT NULL,
    kind         TEXT NOT NULL,               -- mp4 | webm | wav | … from the file's first bytes
    uploaded_by  TEXT NOT NULL,
    uploaded_at  BIGINT  NOT NULL
);
CREATE INDEX testimony_recordings_testimony ON testimony_recordings (tenant_id, testimony_id);

-- +goose Down
DROP TABLE testimony_recordings;
