-- Scope step-up and authorization servers that move (MCP authorization).
-- `step_ups` counts the authorizations a person made in a row because the server
-- wanted more scopes (403 insufficient_scope), so a server that always wants more
-- cannot send them round for ever; a call that succeeds, or a plain connection,
-- sets it back to 0. `reconnect_reason` says, in words, why a connection needs
-- reconnecting (the refresh was refused, the server moved to another
-- authorization server, …).

ALTER TABLE oauth_tokens ADD COLUMN step_ups INTEGER NOT NULL DEFAULT 0;
ALTER TABLE oauth_tokens ADD COLUMN reconnect_reason TEXT;
