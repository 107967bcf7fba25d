"""An MCP server whose tool set is read from a JSON file, for Switchboard's tests.

    python tools_server.py --tools tools.json --transport streamable-http|sse|stdio --port N
    python tools_server.py --tools tools.json --auth [--scopes S] [--as-scopes S] [--as-registration]
                           [--as-discovery oauth|openid] [--as-no-pkce]

The file holds a list of MCP tool definitions (name, description, inputSchema,
annotations, ...). It is read again on every tools/list, so a test can change the
tool set between two refreshes. Every call answers with the tool name and the
arguments it received (text and structuredContent), except:
  - a tool named "fail" answers isError: true;
  - a tool named "big" answers `size` bytes of text;
  - a tool named "slow" sleeps `seconds` before answering; when the client
    cancels it (notifications/cancelled), it writes "cancelled" to the file named
    by its `record` argument, if any;
  - a tool named "ask_client" asks the client, on the call's back-channel, for
    `sampling/createMessage` and then `roots/list` (whatever capabilities the
    client declared), and answers with what came back: for each method, the
    result or the error's code and message.
Prints "ready http://127.0.0.1:PORT/PATH" on stdout once it accepts connections.

With --executed FILE every call is appended to FILE before it is answered, one JSON
line each ({"tool", "arguments", "at_ms"}, the wall clock in milliseconds): the
server's own record of what it was asked to do, which a test compares with what
Switchboard says it approved and sent.

With --unchecked-schemas, inputSchema and outputSchema go out exactly as the file
has them: the SDK refuses to send a schema that is not `"type": "object"`, and this
lets the server behave like one built without that check (everything else is still
validated by the SDK).

With --auth (streamable-http only) the server is an OAuth protected resource that
accepts no token at all: every MCP request is answered 401 with a Bearer challenge
naming its Protected Resource Metadata (RFC 9728), served at
/.well-known/oauth-protected-resource/mcp with `--scopes` as scopes_supported. The
same origin plays the authorization server and serves its metadata, built by the
SDK's own `build_metadata`: at /.well-known/oauth-authorization-server (RFC 8414,
`--as-discovery oauth`, the default) or /.well-known/openid-configuration (`openid`),
with `--as-scopes` as scopes_supported, a registration_endpoint with
`--as-registration`, and without code_challenge_methods_supported with `--as-no-pkce`.
With `--as-issuer URL` the metadata names that authorization server instead, the origin
serves none of its own, and the server accepts that issuer's JWT access tokens: signed
with a key of the jwks_uri its OpenID Connect discovery names (checked with PyJWT, which
the SDK depends on), for this server's URL (`aud`), unexpired, with the scopes.
"""

import argparse
import asyncio
import json
import os
import socket
import sys
import time

import uvicorn
from mcp import types
from mcp.server import Server
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata

TOOLS_FILE = None
EXECUTED_FILE = None


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


def record_executed(name, args):
    """One line per call, written with a single append so concurrent calls never interleave."""
    line = json.dumps({"tool": name, "arguments": args, "at_ms": int(time.time() * 1000)}) + "\n"
    fd = os.open(EXECUTED_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


async def call_tool(ctx, params: types.CallToolRequestParams):
    args = params.arguments or {}
    if EXECUTED_FILE is not None:
        record_executed(params.name, args)
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
    if params.name == "ask_client":
        on_this_call = ServerMessageMetadata(related_request_id=ctx.request_id)
        hello = types.SamplingMessage(role="user", content=types.TextContent(type="text", text="hi"))
        asks = [
            ("sampling/createMessage",
             types.CreateMessageRequest(params=types.CreateMessageRequestParams(messages=[hello], max_tokens=10)),
             types.CreateMessageResult),
            ("roots/list", types.ListRootsRequest(), types.ListRootsResult),
        ]
        answers = {}
        for method, request, result_type in asks:
            try:
                result = await ctx.session.send_request(request, result_type, metadata=on_this_call)
                answers[method] = {"result": result.model_dump(by_alias=True, mode="json", exclude_none=True)}
            except MCPError as e:
                answers[method] = {"error": {"code": e.error.code, "message": e.error.message}}
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(answers))],
            structured_content=answers,
        )
    echo = {"tool": params.name, "arguments": args}
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps(echo))],
        structured_content=echo,
    )


def send_schemas_unchecked():
    """Let tools/list results carry the file's schemas even where the SDK would refuse them."""
    from mcp_types import methods

    checked = methods.serialize_server_result

    def lenient(method, version, data, **kwargs):
        if method != "tools/list":
            return checked(method, version, data, **kwargs)
        raw = [dict(t) for t in data.get("tools", [])]
        placeholders = [{**t, "inputSchema": {"type": "object"}} for t in raw]
        for t in placeholders:
            t.pop("outputSchema", None)
        result = checked(method, version, {**data, "tools": placeholders}, **kwargs)
        for sent, original in zip(result["tools"], raw):
            for key in ("inputSchema", "outputSchema"):
                if key in original:
                    sent[key] = original[key]
        return result

    methods.serialize_server_result = lenient


def build_server():
    return Server("switchboard-test-tools", version="1.0.0", on_list_tools=list_tools, on_call_tool=call_tool)


def bind(port):
    """A listening socket on 127.0.0.1, bound before the app exists so the app knows its own URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def serve_http(app, sock, path):
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    async def run():
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.02)
        print(f"ready http://127.0.0.1:{sock.getsockname()[1]}{path}", flush=True)
        await task

    asyncio.run(run())


class NoTokens:
    """A token verifier that accepts no token: every request is unauthenticated."""

    async def verify_token(self, token):
        return None


class IssuerJwts:
    """A token verifier for JWT access tokens of an independent authorization server."""

    def __init__(self, issuer, audience):
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.keys = None

    def verify(self, token):
        import jwt
        import urllib.request
        from mcp.server.auth.provider import AccessToken

        if self.keys is None:
            with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration") as answer:
                self.keys = jwt.PyJWKClient(json.load(answer)["jwks_uri"])
        try:
            key = self.keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=["RS256", "PS256", "ES256"], audience=self.audience,
                                issuer=self.issuer)
        except jwt.PyJWTError:
            return None
        return AccessToken(token=token, client_id=claims.get("client_id", ""), scopes=claims.get("scope", "").split(),
                           expires_at=claims.get("exp"), resource=self.audience, subject=claims.get("sub"))

    async def verify_token(self, token):
        return await asyncio.to_thread(self.verify, token)


def auth_app(server, origin, args):
    from mcp.server.auth.routes import build_metadata
    from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    scopes = args.scopes.split()
    settings = AuthSettings(
        issuer_url=args.as_issuer or origin,
        resource_server_url=f"{origin}/mcp",
        required_scopes=scopes,
        validate_token_resource=False,
    )
    registration = ClientRegistrationOptions(enabled=args.as_registration, valid_scopes=args.as_scopes.split())
    metadata = build_metadata(settings.issuer_url, None, registration, RevocationOptions())
    if args.as_no_pkce:
        metadata.code_challenge_methods_supported = None
    document = metadata.model_dump(mode="json", exclude_none=True)
    well_known = {"oauth": "/.well-known/oauth-authorization-server", "openid": "/.well-known/openid-configuration"}

    async def as_metadata(request):
        return JSONResponse(document)

    routes = [] if args.as_issuer else [Route(well_known[args.as_discovery], endpoint=as_metadata, methods=["GET"])]
    verifier = IssuerJwts(args.as_issuer, f"{origin}/mcp") if args.as_issuer else NoTokens()
    return server.streamable_http_app(
        host="127.0.0.1", auth=settings, token_verifier=verifier, custom_starlette_routes=routes
    )


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
    global TOOLS_FILE, EXECUTED_FILE
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--transport", choices=["streamable-http", "sse", "stdio"], default="streamable-http")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--unchecked-schemas", action="store_true")
    parser.add_argument("--auth", action="store_true")
    parser.add_argument("--scopes", default="mcp:tools")
    parser.add_argument("--as-scopes", default="mcp:tools offline_access")
    parser.add_argument("--as-registration", action="store_true")
    parser.add_argument("--as-discovery", choices=["oauth", "openid"], default="oauth")
    parser.add_argument("--as-no-pkce", action="store_true")
    parser.add_argument("--as-issuer", default=None)
    parser.add_argument("--executed", default=None)
    args = parser.parse_args()
    TOOLS_FILE = args.tools
    EXECUTED_FILE = args.executed
    if args.unchecked_schemas:
        send_schemas_unchecked()
    server = build_server()
    if args.auth:
        sock = bind(args.port)
        origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
        serve_http(auth_app(server, origin, args), sock, "/mcp")
    elif args.transport == "streamable-http":
        serve_http(server.streamable_http_app(host="127.0.0.1"), bind(args.port), "/mcp")
    elif args.transport == "sse":
        serve_http(sse_app(server), bind(args.port), "/sse")
    else:
        from mcp.server.stdio import stdio_server

        async def run():
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())

        asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
