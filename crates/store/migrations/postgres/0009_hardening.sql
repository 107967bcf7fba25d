-- Hardening after an attack run (issue 14); each part says what it defends.

-- A session's CSRF token is derived from its cookie value on each request
-- (HMAC-SHA256 keyed by it); the plaintext tokens stored so far go.
ALTER TABLE sessions DROP COLUMN csrf_token;

-- A remembered choice holds for the definition of the tool it was made on: a
-- call records the digest of the definition it was planned with, and a choice
-- the digest of the call's. Choices remembered before match no definition.
ALTER TABLE tool_calls ADD COLUMN definition_digest TEXT;
ALTER TABLE remembered_decisions ADD COLUMN definition_digest TEXT NOT NULL DEFAULT '';

-- Sign-in attempts that did not succeed (failed, or being checked), counted per
-- account and per client address by every server sharing the database. Both are
-- digests (of the email tried, of the address); a successful sign-in clears the
-- account of its rows but leaves them counted for their address.
CREATE TABLE sign_in_attempts (
    id      TEXT    PRIMARY KEY,
    account TEXT,
    address TEXT    NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_account ON sign_in_attempts (account, at);
CREATE INDEX sign_in_attempts_address ON sign_in_attempts (address, at);
