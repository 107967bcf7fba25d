-- Users, groups, sessions, API tokens, workspace settings and encrypted secrets.
-- Times are milliseconds since the Unix epoch; flags are 0/1 integers, so the
-- same queries read both backends.

CREATE TABLE workspace (
    id                    BIGINT PRIMARY KEY CHECK (id = 1),
    developer_mode_policy TEXT    NOT NULL DEFAULT 'admins',
    setup_completed_at    BIGINT,
    created_at            BIGINT NOT NULL
);

CREATE TABLE users (
    id               TEXT    PRIMARY KEY,
    email            TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    role             TEXT    NOT NULL,
    password_hash    TEXT,
    developer_mode   BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE groups (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE group_members (
    group_id TEXT    NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE developer_mode_groups (
    group_id TEXT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE
);

CREATE TABLE sessions (
    digest     TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           TEXT    PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    digest       TEXT    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE secrets (
    name       TEXT    PRIMARY KEY,
    sealed     BYTEA   NOT NULL,
    updated_at BIGINT NOT NULL
);
