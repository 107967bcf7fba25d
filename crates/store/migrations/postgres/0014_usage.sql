-- Usage per model step, on the assistant message the step wrote (so a step
-- stays one insert): the model that answered (`provider/model`), the tokens
-- its provider reported, how long the answer took from the request to the end
-- of its stream and to its first token, and which step of its turn it was
-- (1 for the first, so turns can be counted). NULL on every other message and
-- on answers stored before usage was. Tool calls already record their latency.

ALTER TABLE messages ADD COLUMN model TEXT;
ALTER TABLE messages ADD COLUMN input_tokens BIGINT;
ALTER TABLE messages ADD COLUMN output_tokens BIGINT;
ALTER TABLE messages ADD COLUMN latency_ms BIGINT;
ALTER TABLE messages ADD COLUMN first_token_ms BIGINT;
ALTER TABLE messages ADD COLUMN turn_step BIGINT;

-- Usage reports read a window of days across every conversation.
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX tool_calls_created ON tool_calls (created_at);
