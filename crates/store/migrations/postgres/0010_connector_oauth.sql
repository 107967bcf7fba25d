-- OAuth for connectors (MCP authorization): each connector's client settings,
-- the clients registered with each authorization server, the authorization flows
-- in progress (any replica may finish one) and each person's tokens per connector.
-- Secrets (client secrets, tokens, a flow's PKCE verifier) are sealed with the
-- master key; a flow's state is stored as its SHA-256 digest only.

CREATE TABLE connector_oauth (
    connector_id  TEXT PRIMARY KEY REFERENCES connectors (id) ON DELETE CASCADE,
    client_id     TEXT,
    client_secret BYTEA,
    scopes        TEXT NOT NULL
);

CREATE TABLE oauth_clients (
    issuer        TEXT    NOT NULL,
    redirect_uri  TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    client_secret BYTEA,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (issuer, redirect_uri)
);

CREATE TABLE oauth_flows (
    state_digest   TEXT    PRIMARY KEY,
    user_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_digest TEXT,
    connector_id   TEXT    NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    sealed         BYTEA    NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX oauth_flows_expiry ON oauth_flows (expires_at);

CREATE TABLE oauth_tokens (
    user_id          TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    connector_id     TEXT    NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    issuer           TEXT    NOT NULL,
    resource         TEXT    NOT NULL,
    scopes           TEXT    NOT NULL,
    access_token     BYTEA    NOT NULL,
    refresh_token    BYTEA,
    expires_at       BIGINT,
    state            TEXT    NOT NULL,
    version          BIGINT NOT NULL,
    refreshing_until BIGINT,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (user_id, connector_id)
);
