-- OAuth for connectors (MCP authorization): each connector's client settings,
-- the clients registered with each authorization server, the authorization flows
-- in progress (any replica may finish one) and each person's tokens per connector.
-- Secrets (client secrets, tokens, a flow's PKCE verifier) are sealed with the
-- master key; a flow's state is stored as its SHA-256 digest only.

CREATE TABLE connector_oauth (
    connector_id  TEXT PRIMARY KEY REFERENCES connectors (id) ON DELETE CASCADE,
    client_id     TEXT,
    client_secret BLOB,
    scopes        TEXT NOT NULL
);

CREATE TABLE oauth_clients (
    issuer        TEXT    NOT NULL,
    redirect_uri  TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    client_secret BLOB,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (issuer, redirect_uri)
);

CREATE TABLE oauth_flows (
    state_digest   TEXT    PRIMARY KEY,
    user_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_digest TEXT,
    connector_id   TEXT    NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    sealed         BLOB    NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX oauth_flows_expiry ON oauth_flows (expires_at);

CREATE TABLE oauth_tokens (
    user_id          TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    connector_id     TEXT    NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    issuer           TEXT    NOT NULL,
    resource         TEXT    NOT NULL,
    scopes           TEXT    NOT NULL,
    access_token     BLOB    NOT NULL,
    refresh_token    BLOB,
    expires_at       INTEGER,
    state            TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    refreshing_until INTEGER,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, connector_id)
);
