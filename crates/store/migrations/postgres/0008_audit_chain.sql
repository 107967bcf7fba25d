-- The audit trail becomes a hash chain (core::audit). Every record gets a
-- sequence number (1, 2, 3, … without gaps, in commit order), the hash of the
-- record before it and its own hash: SHA-256 over that previous hash followed by
-- the canonical JSON of the record's content. The head of the chain (the last
-- sequence number and hash) is kept in audit_head; every append first advances
-- it, which takes its row lock until the append commits, so writers from every
-- process sharing the database line up behind each other.
--
-- Records written before this migration keep their content but are not hashed
-- (prev_hash and hash stay NULL): a hash computed now would vouch for content
-- nobody checked when it was written. They get sequence numbers in the order
-- they were written (time, then id), and audit_head.chained_from says where the
-- chain starts: its first record follows the genesis hash (64 zeros).
-- `switchboard audit verify` checks the earlier records for gaps only and says
-- how many there are.

CREATE TABLE audit_chain (
    seq             BIGINT PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    at              BIGINT NOT NULL,
    kind            TEXT    NOT NULL,
    actor_id        TEXT,
    conversation_id TEXT,
    tool_call_id    TEXT,
    connector_id    TEXT,
    tool            TEXT,
    classification  TEXT,
    decision        TEXT,
    status          TEXT,
    latency_us      BIGINT,
    detail          TEXT    NOT NULL,
    prev_hash       TEXT,
    hash            TEXT
);

INSERT INTO audit_chain (seq, id, at, kind, actor_id, conversation_id, tool_call_id, connector_id, tool,
                         classification, decision, status, latency_us, detail)
SELECT ROW_NUMBER() OVER (ORDER BY at, id), id, at, kind, actor_id, conversation_id, tool_call_id, connector_id,
       tool, classification, decision, status, latency_us, detail
FROM audit_events;

DROP TABLE audit_events;
ALTER TABLE audit_chain RENAME TO audit_events;

-- What the audit API filters on, each with the order it pages in.
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_connector ON audit_events (connector_id, seq);
CREATE INDEX audit_events_tool ON audit_events (tool, seq);
CREATE INDEX audit_events_kind ON audit_events (kind, seq);

CREATE TABLE audit_head (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    -- The last record's sequence number (0 when there is none).
    seq          BIGINT NOT NULL,
    -- The last chained record's hash; the genesis hash until there is one.
    hash         TEXT    NOT NULL,
    -- The first record of the chain; records before it predate this migration.
    chained_from BIGINT NOT NULL
);

INSERT INTO audit_head (id, seq, hash, chained_from)
SELECT 1, COUNT(*), '0000000000000000000000000000000000000000000000000000000000000000', COUNT(*) + 1
FROM audit_events;
