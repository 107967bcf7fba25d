"""An OAuth-protected MCP server with its own authorization server, for Switchboard's tests.

    python oauth_server.py --tools tools.json [--transport streamable-http|sse] [--token-lifetime S]
                           [--no-rotation] [--no-pkce] [--no-metadata]
                           [--iss right|wrong|missing] [--registration open|refused|off]
                           [--token-garbage] [--revocation] [--step-up SCOPE [--step-up-never]] [--mixed]

Everything OAuth here is the PyPI `mcp` SDK's: its authorization server routes
(`mcp.server.auth`: metadata, /authorize, /token, /register, /revoke, with their
PKCE, redirect URI and client checks), its protected resource metadata and its
bearer middleware in front of the Streamable HTTP server of `tools_server.py`.
The provider below is the SDK's storage interface kept in memory, approving every
authorization at once (there is no login page): codes, access tokens that live
`--token-lifetime` seconds, refresh tokens rotated on every use unless
`--no-rotation` (the old one stops working).

Tool calls answer like tools_server.py, plus `token` (the first 16 hex digits of
the SHA-256 of the access token the call carried) and `subject` (whom the token
was issued to: one subject per authorization).

Switches that make the authorization server misbehave, each for one test:
  --no-pkce           metadata without code_challenge_methods_supported
  --iss right|wrong|missing
                      metadata advertises authorization_response_iss_parameter_supported,
                      and the authorization response carries the right issuer, another, or none
  --registration refused   dynamic client registration answers an error
  --registration off       no registration endpoint at all
  --no-metadata       a 2025-03-26 server: no protected resource metadata, no authorization
                      server metadata (every well-known URL answers 404) and a challenge that
                      names none; its /authorize, /token and /register are the default endpoints
  --token-garbage     the token endpoint answers an HTML page with status 200
  --step-up SCOPE     tools/call needs SCOPE besides the others: a token without it gets
                      403 insufficient_scope with `scope="SCOPE"` in its challenge (RFC 6750
                      §3.1), the way the MCP authorization specification asks for a step-up;
                      registered clients may ask for SCOPE
  --step-up-never     ...and answers so even to a token that has SCOPE: a server that always
                      wants more

--transport sse serves the MCP server over the legacy HTTP+SSE transport instead
(GET /sse, POST /messages/), both behind the same bearer middleware, with the
protected resource metadata for http://127.0.0.1:PORT/sse; the switches that act
on /mcp (--mixed, --step-up) do not apply to it.

--mixed makes it a server with mixed authentication, as the Apps SDK describes it:
requests without a token are let through (as a subject "anonymous"), and a tool
answers one only when its securitySchemes (its own, or in _meta) are `noauth` alone;
any other tool answers a token-less call with an error result carrying
_meta["mcp/www_authenticate"], the challenge a sign-in would start from.

For the tests to look inside: GET /test/stats answers the counts of code
exchanges and refreshes, every client registered (its id), every access and
refresh token issued, and the tokens revoked; POST /test/expire-access makes every
access token issued so far invalid (the server then answers 401 to them); POST
/test/forget-grants makes every access and refresh token invalid (a refresh then
answers invalid_grant); POST /test/forget-clients makes the server forget every
registered client, as a server that lost or expired its registrations does (its
token endpoint then answers invalid_client to them); POST
/test/token-failure/MODE makes the token endpoint answer, from then on, an HTML page
with status 200 (`garbage`), or 503 `temporarily_unavailable` (`unavailable`), or
normally again (`off`).

Prints "ready http://127.0.0.1:PORT/mcp" on stdout once it accepts connections.
"""

import argparse
import hashlib
import json
import secrets
import sys
import time

import tools_server
from mcp import types
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    RefreshToken,
    RegistrationError,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import OAuthToken

ARGS = None
TOKEN_FAILURE = {"mode": "off"}
STATS = {
    "code_exchanges": 0,
    "refreshes": 0,
    "access_tokens": [],
    "refresh_tokens": [],
    "revoked": [],
    "clients": [],
    "insufficient_scope": 0,
    "authorized_scopes": [],
}


class MemoryProvider:
    """The SDK's OAuthAuthorizationServerProvider, in memory, approving at once."""

    def __init__(self, issuer):
        self.issuer = issuer
        self.clients = {}
        self.codes = {}
        self.access = {}
        self.refresh = {}
        self.subjects = 0

    async def get_client(self, client_id):
        return self.clients.get(client_id)

    async def register_client(self, client_info):
        if ARGS.registration == "refused":
            raise RegistrationError(error="invalid_client_metadata", error_description="registration is closed here")
        if ARGS.step_up:
            client_info.scope = " ".join(dict.fromkeys([*(client_info.scope or "").split(), ARGS.step_up]))
        self.clients[client_info.client_id] = client_info
        STATS["clients"].append(client_info.client_id)

    async def authorize(self, client, params):
        STATS["authorized_scopes"].append(" ".join(params.scopes or []))
        self.subjects += 1
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(
            code=code,
            scopes=params.scopes or [],
            expires_at=time.time() + 300,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
            subject=f"person-{self.subjects}",
        )
        extra = {}
        if ARGS.iss == "right":
            extra["iss"] = self.issuer
        elif ARGS.iss == "wrong":
            extra["iss"] = "http://127.0.0.1:1/another-issuer"
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state, **extra)

    async def load_authorization_code(self, client, authorization_code):
        return self.codes.get(authorization_code)

    def issue(self, client_id, scopes, resource, subject):
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        self.access[access] = AccessToken(
            token=access,
            client_id=client_id,
            scopes=scopes,
            expires_at=int(time.time() + ARGS.token_lifetime),
            resource=resource,
            subject=subject,
        )
        self.refresh[refresh] = RefreshToken(
            token=refresh, client_id=client_id, scopes=scopes, resource=resource, subject=subject
        )
        STATS["access_tokens"].append(access)
        STATS["refresh_tokens"].append(refresh)
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=ARGS.token_lifetime,
            refresh_token=refresh,
            scope=" ".join(scopes) or None,
        )

    async def exchange_authorization_code(self, client, authorization_code):
        self.codes.pop(authorization_code.code, None)
        STATS["code_exchanges"] += 1
        return self.issue(
            client.client_id, authorization_code.scopes, authorization_code.resource, authorization_code.subject
        )

    async def load_refresh_token(self, client, refresh_token):
        return self.refresh.get(refresh_token)

    async def exchange_refresh_token(self, client, refresh_token, scopes):
        STATS["refreshes"] += 1
        if ARGS.no_rotation:
            access = secrets.token_urlsafe(32)
            self.access[access] = AccessToken(
                token=access,
                client_id=client.client_id,
                scopes=scopes,
                expires_at=int(time.time() + ARGS.token_lifetime),
                resource=refresh_token.resource,
                subject=refresh_token.subject,
            )
            STATS["access_tokens"].append(access)
            return OAuthToken(access_token=access, token_type="Bearer", expires_in=ARGS.token_lifetime)
        self.refresh.pop(refresh_token.token, None)
        return self.issue(client.client_id, scopes, refresh_token.resource, refresh_token.subject)

    async def load_access_token(self, token):
        if ARGS.mixed and token == ANONYMOUS:
            return AccessToken(token=ANONYMOUS, client_id=ANONYMOUS, scopes=ARGS.scopes.split(), expires_at=None,
                               resource=f"{self.issuer}/mcp", subject=ANONYMOUS)
        found = self.access.get(token)
        if found is None or (found.expires_at and found.expires_at < time.time()):
            return None
        return found

    async def revoke_token(self, token):
        STATS["revoked"].append(token.token)
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)


PROVIDER = None
ANONYMOUS = "anonymous"


def noauth_only(name):
    """Whether the tool NAME of the tools file declares `noauth` and nothing else."""
    with open(ARGS.tools, encoding="utf-8") as f:
        tool = next((t for t in json.load(f) if t["name"] == name), {})
    schemes = tool.get("securitySchemes") or (tool.get("_meta") or {}).get("securitySchemes") or []
    return [s.get("type") for s in schemes] == ["noauth"]


async def call_tool(ctx, params: types.CallToolRequestParams):
    token = get_access_token()
    if ARGS.mixed and (token is None or token.token == ANONYMOUS) and not noauth_only(params.name):
        challenge = (
            f'Bearer resource_metadata="{PROVIDER.issuer}/.well-known/oauth-protected-resource/mcp", '
            'error="invalid_token", error_description="sign in to use this tool"'
        )
        return types.CallToolResult(
            content=[types.TextContent(type="text", text="sign in to use this tool")],
            is_error=True,
            _meta={"mcp/www_authenticate": [challenge]},
        )
    result = await tools_server.call_tool(ctx, params)
    if result.structured_content is not None and token is not None:
        seen = {"token": hashlib.sha256(token.token.encode()).hexdigest()[:16], "subject": token.subject}
        result.structured_content = {**result.structured_content, **seen}
        result.content = [types.TextContent(type="text", text=json.dumps(result.structured_content))]
    return result


def json_response(status, body, content_type=b"application/json"):
    async def send_it(send):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": data})

    return send_it


async def step_up_gate(app, scope, receive, send, origin):
    """--step-up: a tools/call whose token lacks the scope gets 403 insufficient_scope."""
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    try:
        request = json.loads(body)
    except ValueError:
        request = None
    headers = dict(scope["headers"])
    token = headers.get(b"authorization", b"").decode().removeprefix("Bearer ").strip()
    granted = PROVIDER.access.get(token)
    if isinstance(request, dict) and request.get("method") == "tools/call" and granted is not None:
        if ARGS.step_up_never or ARGS.step_up not in granted.scopes:
            STATS["insufficient_scope"] += 1
            challenge = (
                f'Bearer error="insufficient_scope", scope="{ARGS.step_up}", '
                f'resource_metadata="{origin}/.well-known/oauth-protected-resource/mcp"'
            )
            data = json.dumps({"error": "insufficient_scope"}).encode()
            await send({
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"www-authenticate", challenge.encode())],
            })
            return await send({"type": "http.response.body", "body": data})
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return await app(scope, replay, send)


def misbehave(app, metadata):
    """Answer the test endpoints and the switches' misbehaviour; pass the rest to the SDK's app."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        if ARGS.mixed and path == "/mcp" and not any(k == b"authorization" for k, _ in scope["headers"]):
            scope = {**scope, "headers": [*scope["headers"], (b"authorization", f"Bearer {ANONYMOUS}".encode())]}
        if method == "GET" and path == "/test/stats":
            return await json_response(200, STATS)(send)
        if method == "POST" and path == "/test/expire-access":
            PROVIDER.access.clear()
            return await json_response(200, {"expired": True})(send)
        if method == "POST" and path == "/test/forget-clients":
            PROVIDER.clients.clear()
            return await json_response(200, {"forgotten": True})(send)
        if method == "POST" and path == "/test/forget-grants":
            PROVIDER.access.clear()
            PROVIDER.refresh.clear()
            return await json_response(200, {"forgotten": True})(send)
        if ARGS.no_metadata and path.startswith("/.well-known/"):
            return await json_response(404, {"error": "not_found"})(send)
        if method == "GET" and path == "/.well-known/oauth-authorization-server":
            return await json_response(200, metadata)(send)
        if method == "POST" and path.startswith("/test/token-failure/"):
            TOKEN_FAILURE["mode"] = path.rsplit("/", 1)[1]
            return await json_response(200, TOKEN_FAILURE)(send)
        if method == "POST" and path == "/token" and TOKEN_FAILURE["mode"] == "unavailable":
            failure = {"error": "temporarily_unavailable", "error_description": "the token service is down"}
            return await json_response(503, failure)(send)
        if method == "POST" and path == "/mcp" and ARGS.step_up:
            return await step_up_gate(app, scope, receive, send, PROVIDER.issuer)
        if method == "POST" and path == "/token" and (ARGS.token_garbage or TOKEN_FAILURE["mode"] == "garbage"):
            return await json_response(200, b"<html><body>Service temporarily unavailable</body></html>", b"text/html")(
                send
            )
        return await app(scope, receive, send)

    return wrapped


def legacy_sse_app(server, settings, registration, revocation):
    """The server over HTTP+SSE, GET /sse and POST /messages/ both behind the SDK's bearer middleware."""
    from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
    from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
    from mcp.server.auth.provider import ProviderTokenVerifier
    from mcp.server.auth.routes import (
        build_resource_metadata_url,
        create_auth_routes,
        create_protected_resource_routes,
    )
    from mcp.server.sse import SseServerTransport
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.routing import Mount, Route

    sse = SseServerTransport("/messages/")

    async def handle_sse(scope, receive, send):
        if scope["method"] != "GET":
            return await json_response(405, {"error": "this is an HTTP+SSE server: GET /sse"})(send)
        async with sse.connect_sse(scope, receive, send) as (read, write):
            await server.run(read, write, server.create_initialization_options())

    scopes = settings.required_scopes
    metadata_url = build_resource_metadata_url(settings.resource_server_url)
    routes = [
        *create_auth_routes(
            provider=PROVIDER,
            issuer_url=settings.issuer_url,
            client_registration_options=registration,
            revocation_options=revocation,
        ),
        *create_protected_resource_routes(
            resource_url=settings.resource_server_url,
            authorization_servers=[settings.issuer_url],
            scopes_supported=scopes,
        ),
        Route("/sse", endpoint=RequireAuthMiddleware(handle_sse, scopes, metadata_url)),
        Mount("/messages/", app=RequireAuthMiddleware(sse.handle_post_message, scopes, metadata_url)),
    ]
    verifier = ProviderTokenVerifier(PROVIDER)
    middleware = [
        Middleware(AuthenticationMiddleware, backend=BearerAuthBackend(verifier, resource_server_url=settings.resource_server_url)),
        Middleware(AuthContextMiddleware),
    ]
    return Starlette(routes=routes, middleware=middleware)


def main():
    global ARGS, PROVIDER
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--transport", choices=["streamable-http", "sse"], default="streamable-http")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--scopes", default="mcp:tools")
    parser.add_argument("--token-lifetime", type=int, default=3600)
    parser.add_argument("--no-rotation", action="store_true")
    parser.add_argument("--no-pkce", action="store_true")
    parser.add_argument("--no-metadata", action="store_true")
    parser.add_argument("--iss", choices=["right", "wrong", "missing"], default=None)
    parser.add_argument("--registration", choices=["open", "refused", "off"], default="open")
    parser.add_argument("--token-garbage", action="store_true")
    parser.add_argument("--revocation", action="store_true")
    parser.add_argument("--no-offline-access", action="store_true")
    parser.add_argument("--step-up", default=None)
    parser.add_argument("--step-up-never", action="store_true")
    parser.add_argument("--mixed", action="store_true")
    ARGS = parser.parse_args()
    tools_server.TOOLS_FILE = ARGS.tools

    from mcp.server import Server
    from mcp.server.auth.provider import ProviderTokenVerifier
    from mcp.server.auth.routes import build_metadata

    sock = tools_server.bind(ARGS.port)
    origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
    PROVIDER = MemoryProvider(origin)
    scopes = ARGS.scopes.split()
    valid_scopes = scopes + ["offline_access"] + ([ARGS.step_up] if ARGS.step_up else [])
    registration = ClientRegistrationOptions(
        enabled=ARGS.registration != "off", valid_scopes=valid_scopes, default_scopes=scopes
    )
    revocation = RevocationOptions(enabled=ARGS.revocation)
    path = "/sse" if ARGS.transport == "sse" else "/mcp"
    settings = AuthSettings(
        issuer_url=origin,
        # Without a resource URL the SDK publishes no protected resource metadata and names none.
        resource_server_url=None if ARGS.no_metadata else f"{origin}{path}",
        # A client that finds no metadata knows no scope to ask for: a 2025-03-26 server needs none.
        required_scopes=[] if ARGS.no_metadata else scopes,
        client_registration_options=registration,
        revocation_options=revocation,
        validate_token_resource=not ARGS.no_metadata,
    )
    document = build_metadata(settings.issuer_url, None, registration, revocation)
    document.scopes_supported = scopes if ARGS.no_offline_access else scopes + ["offline_access"]
    if ARGS.no_pkce:
        document.code_challenge_methods_supported = None
    metadata = document.model_dump(mode="json", exclude_none=True)
    if ARGS.iss is not None:
        metadata["authorization_response_iss_parameter_supported"] = True

    server = Server("switchboard-test-oauth", version="1.0.0", on_list_tools=tools_server.list_tools, on_call_tool=call_tool)
    if ARGS.transport == "sse":
        app = legacy_sse_app(server, settings, registration, revocation)
        return tools_server.serve_http(misbehave(app, metadata), sock, path)
    app = server.streamable_http_app(
        host="127.0.0.1",
        auth=settings,
        token_verifier=ProviderTokenVerifier(PROVIDER),
        auth_server_provider=PROVIDER,
    )
    tools_server.serve_http(misbehave(app, metadata), sock, "/mcp")


if __name__ == "__main__":
    sys.exit(main())
