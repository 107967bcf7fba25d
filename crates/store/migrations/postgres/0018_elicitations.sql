-- A server's requests for the person's input during a conversation's tool call
-- (elicitation): the form or URL asked for, whom it waits on and how it ended.
-- `request` is the `elicitation/create` params as JSON (message, requestedSchema or
-- url); what the person typed is never stored here (the call's exchange keeps the
-- answer, with secret-looking fields redacted). `state` is `pending`, then
-- `accept`, `decline` or `cancel` (answered by `answered_by`), or `expired` (nobody
-- answered in time, the turn was stopped, or the instance that waited stopped).
CREATE TABLE elicitations (
    id              TEXT   PRIMARY KEY,
    conversation_id TEXT   NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    call_id         TEXT   NOT NULL REFERENCES tool_calls (id) ON DELETE CASCADE,
    connector_name  TEXT   NOT NULL,
    mode            TEXT   NOT NULL,
    request         TEXT   NOT NULL,
    state           TEXT   NOT NULL,
    instance_id     TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    answered_by     TEXT,
    answered_at     BIGINT
);
CREATE INDEX elicitations_conversation ON elicitations (conversation_id, state);
CREATE INDEX elicitations_instance ON elicitations (instance_id, state);
