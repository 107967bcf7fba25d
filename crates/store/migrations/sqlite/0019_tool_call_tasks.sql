-- A tool call that runs as a task on its server (MCP tasks) records the task as soon
-- as the server created it: its id, the dialect (`2025-11-25` or `2026-07-28`), the
-- server session it belongs to (2025-11-25 tasks are found only in the session that
-- created them), the last status the server reported and when Switchboard cancels
-- it. After a restart a running call with a task is followed again instead of being
-- marked interrupted. The row goes with its call.

CREATE TABLE tool_call_tasks (
    call_id          TEXT   PRIMARY KEY REFERENCES tool_calls (id) ON DELETE CASCADE,
    task_id          TEXT   NOT NULL,
    dialect          TEXT   NOT NULL,
    session_id       TEXT,
    protocol_version TEXT   NOT NULL,
    status           TEXT   NOT NULL,
    status_message   TEXT,
    deadline_at      BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
