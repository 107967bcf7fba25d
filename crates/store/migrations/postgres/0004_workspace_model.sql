-- The workspace's default model for new conversations (provider/model); NULL: the
-- one the server is configured with.

ALTER TABLE workspace ADD COLUMN default_model TEXT;
