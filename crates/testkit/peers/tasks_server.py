"""A PyPI `mcp` server that runs a tool as a task of the 2026-07-28 tasks extension
(`io.modelcontextprotocol/tasks`, SEP-2663), for Switchboard's tests.

    python tasks_server.py [--port N]

It declares the extension and answers `tools/call` of `brew` (a write) with a task
(`resultType: "task"`), which works through the status messages "Heating water" and
"Steeping" and completes after `seconds` (default 1.5) with the text "Brewed <tea>",
inline in `tasks/get` as the extension says. `tasks/cancel` cancels it; a cancelled
task's `tasks/get` says `cancelled`. Every other tool call runs as usual (`sip`).
Prints "ready http://127.0.0.1:PORT/mcp" on stdout once it accepts connections.
"""

import argparse
import asyncio
import uuid
from datetime import datetime, timezone

from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver import MCPServer
from mcp_types import RequestParams

from tools_server import bind, serve_http

POLL_MS = 300
TASKS = {}


def now():
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class TaskIdParams(RequestParams):
    task_id: str


class TaskUpdateParams(RequestParams):
    task_id: str
    input_responses: dict = {}


def detailed(task):
    out = {
        "taskId": task["id"],
        "status": task["status"],
        "createdAt": task["created"],
        "lastUpdatedAt": task["updated"],
        "ttlMs": None,
        "pollIntervalMs": POLL_MS,
    }
    if task.get("message"):
        out["statusMessage"] = task["message"]
    if task["status"] == "completed":
        out["result"] = task["result"]
    return out


def move(task, status, message=None):
    if task["status"] in ("completed", "failed", "cancelled"):
        return
    task["status"] = status
    task["message"] = message
    task["updated"] = now()


async def brew(task, seconds, tea):
    stages = ["Heating water", "Steeping"]
    for stage in stages:
        move(task, "working", stage)
        await asyncio.sleep(seconds / len(stages))
    task["result"] = {"content": [{"type": "text", "text": f"Brewed {tea}"}], "isError": False}
    move(task, "completed")


class Tasks(Extension):
    identifier = "io.modelcontextprotocol/tasks"

    def methods(self):
        return (
            MethodBinding("tasks/get", TaskIdParams, self.get),
            MethodBinding("tasks/cancel", TaskIdParams, self.cancel),
            MethodBinding("tasks/update", TaskUpdateParams, self.update),
        )

    async def get(self, ctx, params):
        task = TASKS[params.task_id]
        return {"resultType": "complete", **detailed(task)}

    async def cancel(self, ctx, params):
        task = TASKS[params.task_id]
        move(task, "cancelled", "Cancelled by the client")
        if task.get("runner"):
            task["runner"].cancel()
        return {"resultType": "complete"}

    async def update(self, ctx, params):
        return {"resultType": "complete"}

    async def intercept_tool_call(self, params, ctx, call_next):
        if params.name != "brew":
            return await call_next(ctx)
        arguments = params.arguments or {}
        created = now()
        task = {"id": uuid.uuid4().hex, "status": "working", "created": created, "updated": created}
        TASKS[task["id"]] = task
        task["runner"] = asyncio.get_running_loop().create_task(
            brew(task, float(arguments.get("seconds", 1.5)), arguments.get("tea", "tea"))
        )
        return {"resultType": "task", **detailed(task)}


def build_server():
    server = MCPServer("switchboard-test-tasks", extensions=[Tasks()])

    @server.tool(description="Use this to brew a pot of tea; it takes a while.")
    def brew(tea: str = "tea", seconds: float = 1.5) -> str:
        return "brewing"

    @server.tool(description="Use this to take a sip.")
    def sip() -> str:
        return "sipped"

    return server


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = build_server()
    serve_http(server.streamable_http_app(host="127.0.0.1"), bind(args.port), "/mcp")


if __name__ == "__main__":
    main()
