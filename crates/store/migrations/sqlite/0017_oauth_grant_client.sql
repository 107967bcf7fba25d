-- Each person's tokens record the client that obtained them: its client_id, how it
-- came to be (`static`: the app's pre-registered client; `metadata_document`:
-- Switchboard's Client ID Metadata Document; `dynamic`: registered with RFC 7591)
-- and its secret, sealed like the tokens. A refresh token is bound to the client it
-- was issued to, so refreshing and revoking use this client even when the app's
-- registration changed since (the authorization server began to accept metadata
-- documents, a registration was forgotten and made anew). Grants from before this
-- migration have none and use the app's current client, as they did.

ALTER TABLE oauth_tokens ADD COLUMN client_id TEXT;
ALTER TABLE oauth_tokens ADD COLUMN registration TEXT;
ALTER TABLE oauth_tokens ADD COLUMN client_secret BLOB;
