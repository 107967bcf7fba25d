"""An MCP server whose tool set is read from a JSON file, for Switchboard's tests.

    python tools_server.py --tools tools.json --transport streamable-http|sse|stdio --port N

The file holds a list of MCP tool definitions (name, description, inputSchema,
annotations, ...). It is read again on every tools/list, so a test can change the
tool set between two refreshes. Every call answers with the tool name and the
arguments it received (text and structuredContent), except:
  - a tool named "fail" answers isError: true;
  - a tool named "big" answers `size` bytes of text;
  - a tool named "slow" sleeps `seconds` before answering; when the client
    cancels it (notifications/cancelled), it writes "cancelled" to the file named
    by its `record` argument, if any.
Prints "ready http://127.0.0.1:PORT/PATH" on stdout once it accepts connections.
"""

import argparse
import asyncio
import json
import sys

import uvicorn
from mcp import types
from mcp.server import Server

TOOLS_FILE = None


def load_tools():
    with open(TOOLS_FILE, encoding="utf-8") as f:
        return [types.Tool.model_validate(t) for t in json.load(f)]


PAGE_SIZE = 500


async def list_tools(ctx, params):
    """Pages of PAGE_SIZE tools; the cursor is the offset of the next page."""
    tools = load_tools()
    start = int(params.cursor) if params is not None and params.cursor else 0
    end = start + PAGE_SIZE
    next_cursor = str(end) if end < len(tools) else None
    return types.ListToolsResult(tools=tools[start:end], next_cursor=next_cursor)


async def call_tool(ctx, params: types.CallToolRequestParams):
    args = params.arguments or {}
    if params.name == "fail":
        return types.CallToolResult(content=[types.TextContent(type="text", text="this tool always fails")], is_error=True)
    if params.name == "big":
        text = "x" * int(args.get("size", 0))
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)])
    if params.name == "slow":
        try:
            await asyncio.sleep(float(args.get("seconds", 1)))
        except asyncio.CancelledError:
            if args.get("record"):
                with open(args["record"], "w", encoding="utf-8") as f:
                    f.write("cancelled")
            raise
    echo = {"tool": params.name, "arguments": args}
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps(echo))],
        structured_content=echo,
    )


def build_server():
    return Server("switchboard-test-tools", version="1.0.0", on_list_tools=list_tools, on_call_tool=call_tool)


def serve_http(app, port, path):
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    async def run():
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        sock = server.servers[0].sockets[0]
        print(f"ready http://127.0.0.1:{sock.getsockname()[1]}{path}", flush=True)
        await task

    asyncio.run(run())


def sse_app(server):
    from mcp.server.sse import SseServerTransport
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Mount, Route

    sse = SseServerTransport("/messages/")

    async def handle_sse(request):
        async with sse.connect_sse(request.scope, request.receive, request._send) as (read, write):
            await server.run(read, write, server.create_initialization_options())
        return Response()

    return Starlette(routes=[Route("/sse", endpoint=handle_sse, methods=["GET"]), Mount("/messages/", app=sse.handle_post_message)])


def main():
    global TOOLS_FILE
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--transport", choices=["streamable-http", "sse", "stdio"], default="streamable-http")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    TOOLS_FILE = args.tools
    server = build_server()
    if args.transport == "streamable-http":
        serve_http(server.streamable_http_app(host="127.0.0.1"), args.port, "/mcp")
    elif args.transport == "sse":
        serve_http(sse_app(server), args.port, "/sse")
    else:
        from mcp.server.stdio import stdio_server

        async def run():
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())

        asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
