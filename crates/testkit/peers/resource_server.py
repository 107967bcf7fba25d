"""An OAuth-protected MCP server whose tokens come from an independent authorization server.

    python resource_server.py --tools tools.json --issuer URL --resource-secret S

The PyPI `mcp` SDK as a resource server only: its protected resource metadata (RFC 9728,
naming `--issuer` as the authorization server, scope `mcp:tools`), its bearer middleware
(401 with a challenge naming that metadata) and the Streamable HTTP server of
`tools_server.py`. Each bearer token is checked by token introspection (RFC 7662) at the
authorization server, as the confidential client `switchboard-test-resource`: an inactive,
expired or revoked token, or one issued for another resource (`aud`), is refused with 401.

Tool calls answer like tools_server.py, plus `token` (the first 16 hex digits of the SHA-256
of the access token the call carried) and `subject` (the `sub` the authorization server
gave for it).

Prints "ready http://127.0.0.1:PORT/mcp" on stdout once it accepts connections.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import sys
import time
import urllib.parse
import urllib.request

import tools_server
from mcp import types
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

ARGS = None


class IntrospectingVerifier:
    """The SDK's TokenVerifier interface, answered by the authorization server's introspection."""

    def __init__(self, issuer, secret, resource):
        self.issuer = issuer
        self.resource = resource
        self.basic = base64.b64encode(f"switchboard-test-resource:{secret}".encode()).decode()
        self.endpoint = None

    def introspect(self, token):
        if self.endpoint is None:
            with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration", timeout=10) as r:
                self.endpoint = json.load(r)["introspection_endpoint"]
        body = urllib.parse.urlencode({"token": token, "token_type_hint": "access_token"}).encode()
        request = urllib.request.Request(
            self.endpoint,
            data=body,
            headers={"authorization": f"Basic {self.basic}", "content-type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.load(r)

    async def verify_token(self, token):
        answer = await asyncio.to_thread(self.introspect, token)
        if not answer.get("active") or answer.get("token_type") == "refresh_token":
            return None
        if answer.get("exp") and answer["exp"] < time.time():
            return None
        audiences = answer.get("aud") or []
        audiences = [audiences] if isinstance(audiences, str) else audiences
        return AccessToken(
            token=token,
            client_id=answer.get("client_id", ""),
            scopes=(answer.get("scope") or "").split(),
            expires_at=answer.get("exp"),
            resource=self.resource if self.resource in audiences else (audiences[0] if audiences else None),
            subject=answer.get("sub"),
        )


async def call_tool(ctx, params: types.CallToolRequestParams):
    result = await tools_server.call_tool(ctx, params)
    token = get_access_token()
    if result.structured_content is not None and token is not None:
        seen = {"token": hashlib.sha256(token.token.encode()).hexdigest()[:16], "subject": token.subject}
        result.structured_content = {**result.structured_content, **seen}
        result.content = [types.TextContent(type="text", text=json.dumps(result.structured_content))]
    return result


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--resource-secret", required=True)
    parser.add_argument("--port", type=int, default=0)
    ARGS = parser.parse_args()
    tools_server.TOOLS_FILE = ARGS.tools

    from mcp.server import Server

    sock = tools_server.bind(ARGS.port)
    resource = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    settings = AuthSettings(
        issuer_url=ARGS.issuer,
        resource_server_url=resource,
        required_scopes=["mcp:tools"],
        validate_token_resource=True,
    )
    server = Server(
        "switchboard-test-resource", version="1.0.0", on_list_tools=tools_server.list_tools, on_call_tool=call_tool
    )
    verifier = IntrospectingVerifier(ARGS.issuer.rstrip("/"), ARGS.resource_secret, resource)
    app = server.streamable_http_app(host="127.0.0.1", auth=settings, token_verifier=verifier)
    tools_server.serve_http(app, sock, "/mcp")


if __name__ == "__main__":
    sys.exit(main())
