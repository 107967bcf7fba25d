-- An app may allow the 2025-03-26 MCP authorization specification's default
-- endpoints (/authorize, /token, /register at its server's origin) for a server
-- that publishes no OAuth metadata at all. Off (0) unless an admin sets it: without
-- metadata nothing says the server checks PKCE with S256 (see docs/oauth.md).

ALTER TABLE connector_oauth ADD COLUMN legacy_endpoints INTEGER NOT NULL DEFAULT 0;
