-- Interactive widgets (MCP Apps views, Apps SDK components) rendered for a tool call.
--
-- widget_calls: the tool calls a widget makes through its host, each checked like
-- the model's: reads run at once, writes wait in `awaiting_approval` for the
-- conversation's owner. They belong to the call whose widget made them (its
-- `parent_call_id`), are not part of the model's history, and are audited.
--
-- widget_states: the state an Apps SDK widget keeps with its message
-- (`window.openai.setWidgetState`), one per tool call, at most 64 KiB of JSON.

CREATE TABLE widget_calls (
    id               TEXT    PRIMARY KEY,
    conversation_id  TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    parent_call_id   TEXT    NOT NULL REFERENCES tool_calls (id) ON DELETE CASCADE,
    connector_id     TEXT    NOT NULL,
    tool             TEXT    NOT NULL,
    classification   TEXT    NOT NULL,
    arguments        TEXT    NOT NULL,
    arguments_digest TEXT    NOT NULL,
    definition_digest TEXT   NOT NULL,
    status           TEXT    NOT NULL,
    decision         TEXT,
    decided_by       TEXT,
    result           TEXT,
    is_error         BIGINT NOT NULL,
    latency_us       BIGINT,
    created_at       BIGINT NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX widget_calls_conversation ON widget_calls (conversation_id, created_at);

CREATE TABLE widget_states (
    tool_call_id    TEXT    PRIMARY KEY REFERENCES tool_calls (id) ON DELETE CASCADE,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    state           TEXT    NOT NULL,
    updated_at      BIGINT NOT NULL
);
