-- Connectors (MCP servers) and their tool catalogs, stored whole.

ALTER TABLE workspace ADD COLUMN network_allow_private BIGINT NOT NULL DEFAULT 1;
ALTER TABLE workspace ADD COLUMN network_allow_link_local BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workspace ADD COLUMN network_allow_cloud_metadata BIGINT NOT NULL DEFAULT 0;

CREATE TABLE connectors (
    id               TEXT    PRIMARY KEY,
    owner_id         TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    description      TEXT    NOT NULL,
    url              TEXT,
    command          TEXT,
    transport        TEXT    NOT NULL,
    auth_mode        TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    protocol_version TEXT    NOT NULL,
    used_transport   TEXT    NOT NULL,
    server_info      TEXT    NOT NULL,
    created_at       BIGINT NOT NULL,
    refreshed_at     BIGINT NOT NULL
);
CREATE INDEX connectors_owner ON connectors (owner_id);

CREATE TABLE connector_tools (
    connector_id TEXT    NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    position     BIGINT NOT NULL,
    definition   TEXT    NOT NULL,
    enabled      BIGINT NOT NULL,
    PRIMARY KEY (connector_id, name)
);
