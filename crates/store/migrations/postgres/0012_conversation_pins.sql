-- A person pins the conversations they come back to; pinned ones list first.

ALTER TABLE conversations ADD COLUMN pinned BIGINT NOT NULL DEFAULT 0;
