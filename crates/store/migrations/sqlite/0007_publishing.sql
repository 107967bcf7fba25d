-- Publishing apps to the workspace: whom a published app is shared with, the
-- classification an admin raised on an action, and the change sets a refresh of
-- a published app records for review (its pinned definitions stay in force until
-- an admin accepts).

ALTER TABLE connectors ADD COLUMN access_everyone INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connectors ADD COLUMN published_at INTEGER;
ALTER TABLE connectors ADD COLUMN published_by TEXT;

CREATE TABLE connector_access (
    connector_id TEXT NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    group_id     TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (connector_id, group_id)
);

-- 'write' when an admin raised a read action to a write; never lowers.
ALTER TABLE connector_tools ADD COLUMN classification_override TEXT;

CREATE TABLE connector_changes (
    id               TEXT    PRIMARY KEY,
    connector_id     TEXT    NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    -- pending, accepted, rejected or superseded (by a later refresh)
    state            TEXT    NOT NULL,
    -- refresh (a person asked) or drift (the background check)
    source           TEXT    NOT NULL,
    requested_by     TEXT,
    -- The fresh tools/list, whole, and the digest of its canonical JSON.
    listing          TEXT    NOT NULL,
    listing_digest   TEXT    NOT NULL,
    -- What differs from the definitions in force when it was recorded.
    diff             TEXT    NOT NULL,
    protocol_version TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    decided_by       TEXT,
    decided_at       INTEGER
);
CREATE INDEX connector_changes_connector ON connector_changes (connector_id, created_at);
CREATE INDEX connector_changes_state ON connector_changes (state);

-- When a replica last claimed the background check of published apps.
ALTER TABLE workspace ADD COLUMN drift_checked_at INTEGER;
