"""An MCP server on PyPI `mcp` whose tool asks the person for input, for Switchboard's tests.

    python elicit_server.py

Its tool `sign_in` asks for a username and an API token (a secret-looking field)
through the SDK's `Resolve(...)`/`Elicit(...)`: at protocol 2026-07-28 the SDK
answers the call with an `input_required` result (`inputRequests` with an
`elicitation/create`), and resumes when the client sends the call again with
`inputResponses` and the untouched `requestState`; at 2025-11-25 and before it sends
the `elicitation/create` request during the call. The tool answers with what came
back: the values when accepted, or the action.

Prints "ready http://127.0.0.1:PORT/mcp" on stdout once it accepts connections.
"""

import asyncio
import json
import socket
from typing import Annotated

import uvicorn
from pydantic import BaseModel, Field

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)


class Credentials(BaseModel):
    username: str = Field(title="Username", description="Your account name")
    api_token: str = Field(title="API token", description="A token for the service")


def ask_credentials(service: str) -> Elicit[Credentials]:
    return Elicit(f"Sign in to {service}", Credentials)


server = MCPServer("switchboard-test-elicit", version="1.0.0")


@server.tool(description="Use this to sign in to a service; it asks the person for their credentials.")
async def sign_in(
    service: str,
    answer: Annotated[ElicitationResult[Credentials], Resolve(ask_credentials)],
    ctx: Context,
) -> str:
    if isinstance(answer, AcceptedElicitation):
        return json.dumps({"action": "accept", "username": answer.data.username, "api_token": answer.data.api_token})
    return json.dumps({"action": answer.action})


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    app = server.streamable_http_app()
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    running = uvicorn.Server(config)

    async def run():
        task = asyncio.create_task(running.serve(sockets=[sock]))
        while not running.started:
            await asyncio.sleep(0.02)
        print(f"ready http://127.0.0.1:{sock.getsockname()[1]}/mcp", flush=True)
        await task

    asyncio.run(run())


if __name__ == "__main__":
    main()
