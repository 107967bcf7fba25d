-- Conversations with a model: messages, tool calls (full input and output),
-- decisions and remembered choices; and the audit trail of calls and decisions.

CREATE TABLE conversations (
    id          TEXT    PRIMARY KEY,
    owner_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    model       TEXT    NOT NULL,
    mode        TEXT    NOT NULL,
    connectors  TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    steps       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX conversations_owner ON conversations (owner_id, updated_at);
CREATE INDEX conversations_updated ON conversations (updated_at);

CREATE TABLE messages (
    id              TEXT    PRIMARY KEY,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    role            TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    client_session  TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
);

CREATE TABLE tool_calls (
    id               TEXT    PRIMARY KEY,
    conversation_id  TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id       TEXT    NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    provider_call_id TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    connector_id     TEXT,
    connector_name   TEXT,
    tool             TEXT,
    classification   TEXT,
    arguments        TEXT    NOT NULL,
    arguments_digest TEXT,
    status           TEXT    NOT NULL,
    decision         TEXT,
    decided_by       TEXT,
    decided_at       INTEGER,
    client_session   TEXT,
    result           TEXT,
    is_error         INTEGER NOT NULL,
    model_content    TEXT,
    exchange         TEXT,
    latency_us       INTEGER,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
CREATE INDEX tool_calls_conversation ON tool_calls (conversation_id, created_at);
CREATE INDEX tool_calls_status ON tool_calls (status);

CREATE TABLE remembered_decisions (
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    connector_id    TEXT    NOT NULL,
    tool            TEXT    NOT NULL,
    client_session  TEXT    NOT NULL,
    decision        TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, connector_id, tool, client_session)
);

-- Append-only: nothing here references another table, so deleting a user,
-- connector or conversation leaves its trail.
CREATE TABLE audit_events (
    id              TEXT    PRIMARY KEY,
    at              INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    actor_id        TEXT,
    conversation_id TEXT,
    tool_call_id    TEXT,
    connector_id    TEXT,
    tool            TEXT,
    classification  TEXT,
    decision        TEXT,
    status          TEXT,
    latency_us      INTEGER,
    detail          TEXT    NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
