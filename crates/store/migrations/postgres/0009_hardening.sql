-- Hardening after an attack run (issue 14); each part says what it defends.

-- A session's CSRF token is derived from its cookie value on each request
-- (HMAC-SHA256 keyed by it); the plaintext tokens stored so far go.
ALTER TABLE sessions DROP COLUMN csrf_token;
