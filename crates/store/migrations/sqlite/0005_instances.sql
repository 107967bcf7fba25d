-- The instance (one Switchboard process, or its successive runs under one id)
-- that runs a turn or a call, so that the recovery at a start touches only its
-- own work and several instances can share one database. NULL: recorded before
-- instances were; the first instance to start recovers it.

ALTER TABLE conversations ADD COLUMN instance_id TEXT;
ALTER TABLE tool_calls ADD COLUMN instance_id TEXT;
CREATE INDEX conversations_state ON conversations (state);
