-- A counter bumped by every write that changes what servers keep in memory
-- (users, tokens, sessions, groups, settings, connectors and their tools).
-- Each server polls it and drops its cached reads when it moves, so a change
-- made through one replica reaches the others within the poll interval.

ALTER TABLE workspace ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
