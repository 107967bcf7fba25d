// An independent OAuth authorization server for Switchboard's tests: npm `oidc-provider`
// (installed, pinned, by scripts/test under $SWITCHBOARD_PEERS_DIR/oauth), configured here.
//
//   node oidc_provider.mjs --modules DIR --resource-secret S [--access-ttl S] [--refresh-ttl S]
//                          [--no-offline-access]
//
// Everything OAuth is the library's: discovery (OpenID Connect only, no RFC 8414 document),
// dynamic client registration, its development sign-in and consent pages (any login name is
// an account; "Cancel" denies with access_denied), PKCE S256 required, RFC 9207 `iss` on the
// authorization response, resource indicators (RFC 8707), introspection, revocation, and
// refresh tokens that rotate on every use: a rotated refresh token used again is refused with
// invalid_grant and the whole grant is revoked (the library's reuse detection).
//
// What this file decides:
//   - access tokens for any `http://127.0.0.1:PORT/mcp` resource, opaque, scope `mcp:tools`,
//     living --access-ttl seconds (default 3600); refresh tokens live --refresh-ttl seconds;
//   - `offline_access` is a scope unless --no-offline-access (then no refresh token is issued);
//   - a confidential client `switchboard-test-resource` (secret --resource-secret) that the
//     resource server uses to introspect tokens.
//
// For the tests to look inside: GET /test/stats answers how many token requests reached the
// token endpoint, by grant type, and each one's status. POST /test/drop-access-token with an
// access token as the body forgets that token alone, as an expiry would (the library's
// revocation endpoint would revoke the whole grant with it).
//
// Prints "ready http://127.0.0.1:PORT" (the issuer) once it accepts connections.

import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const { values: args } = parseArgs({
  options: {
    modules: { type: 'string' },
    'resource-secret': { type: 'string' },
    'access-ttl': { type: 'string', default: '3600' },
    'refresh-ttl': { type: 'string', default: '86400' },
    'no-offline-access': { type: 'boolean', default: false },
  },
});
if (!args.modules || !args['resource-secret']) {
  console.error('usage: node oidc_provider.mjs --modules DIR --resource-secret S [...]');
  process.exit(2);
}

const { default: Provider, errors } = await import(
  pathToFileURL(join(args.modules, 'oidc-provider', 'lib', 'index.js')).href
);

const accessTtl = Number(args['access-ttl']);
const refreshTtl = Number(args['refresh-ttl']);
const offline = !args['no-offline-access'];
const RESOURCE = /^http:\/\/127\.0\.0\.1:\d+\/mcp$/;

const stats = { token_requests: {}, token_statuses: [] };

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'switchboard-test-resource',
      client_secret: args['resource-secret'],
      redirect_uris: [],
      response_types: [],
      grant_types: [],
    },
  ],
  scopes: offline ? ['openid', 'offline_access', 'mcp:tools'] : ['openid', 'mcp:tools'],
  cookies: { keys: ['switchboard-test-cookie-key'] },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  ttl: {
    RefreshToken: refreshTtl,
    AccessToken: accessTtl,
    Grant: 86400,
    Session: 86400,
    Interaction: 600,
    AuthorizationCode: 60,
  },
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    revocation: { enabled: true },
    introspection: {
      enabled: true,
      // The resource server introspects every token; a client, its own.
      allowedPolicy: async (ctx, client, token) =>
        client.clientId === 'switchboard-test-resource' || client.clientId === token.clientId,
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator) => {
        if (!RESOURCE.test(resourceIndicator)) {
          throw new errors.InvalidTarget();
        }
        return { scope: 'mcp:tools', accessTokenTTL: accessTtl, accessTokenFormat: 'opaque' };
      },
    },
  },
});

// Count what reaches the token endpoint, whatever the answer.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.method === 'POST' && ctx.path === '/token') {
    const grantType = ctx.oidc?.params?.grant_type ?? 'unknown';
    stats.token_requests[grantType] = (stats.token_requests[grantType] ?? 0) + 1;
    stats.token_statuses.push({ grant_type: grantType, status: ctx.status, error: ctx.body?.error });
  }
});

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.method === 'GET' && req.url === '/test/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  if (req.method === 'POST' && req.url === '/test/drop-access-token') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', async () => {
      const token = await provider.AccessToken.find(body.trim());
      if (token) await token.destroy();
      res.writeHead(token ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ dropped: Boolean(token) }));
    });
    return;
  }
  callback(req, res);
});

console.log(`ready ${issuer}`);
