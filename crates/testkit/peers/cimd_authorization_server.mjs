// An authorization server that accepts Client ID Metadata Documents, for
// Switchboard's tests: npm `oidc-provider` (a certified OpenID provider, not
// written here) with its `clientIdMetadataDocument` feature, PKCE, resource
// indicators (RFC 8707) and no dynamic client registration, so a client can only
// be a pre-registered one (none here) or a metadata document it fetches; with
// --registration, dynamic client registration (RFC 7591) too.
//
//   node cimd_authorization_server.mjs --modules DIR --resource URL [--scopes S] [--port N] [--registration]
//
// DIR is the node_modules holding oidc-provider (scripts/test installs it, pinned, under
// $SWITCHBOARD_PEERS_DIR/oauth). URL is the protected resource
// whose tokens it issues (JWTs, `aud` that URL), with scopes S (default "mcp:tools"). Sign-in is the
// library's own development form (any name, no password); consent is given at
// once for what the client asked of that resource.
//
// Metadata documents are fetched from loopback in the tests, which the library
// refuses by default (its fetch drops connections to special-use addresses):
// `fetch` below is the standard fetch without that guard. Trust a test's
// certificate with NODE_EXTRA_CA_CERTS.
//
// GET /test/stats answers the client ids whose documents were resolved, and how
// many requests reached the token endpoint.
// Prints "ready http://127.0.0.1:PORT" on stdout once it accepts connections.

import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const { values: args } = parseArgs({
  options: {
    modules: { type: 'string' },
    resource: { type: 'string' },
    scopes: { type: 'string', default: 'mcp:tools' },
    port: { type: 'string', default: '0' },
    registration: { type: 'boolean', default: false },
  },
});

const { default: Provider } = await import(pathToFileURL(join(args.modules, 'oidc-provider/lib/index.js')).href);

const fetched = [];
let tokenRequests = 0;
const server = createServer();
await new Promise((resolve) => { server.listen(Number(args.port), '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [],
  scopes: ['openid', 'offline_access', ...args.scopes.split(' ')],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: args.registration },
    revocation: { enabled: true },
    clientIdMetadataDocument: {
      enabled: true,
      ack: 'draft-02',
      async allowFetch(_ctx, clientId) {
        fetched.push(clientId);
        return true;
      },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => args.resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator) => {
        if (indicator !== args.resource) {
          throw new provider.constructor.errors.InvalidTarget(`unknown resource ${indicator}`);
        }
        return { scope: args.scopes, accessTokenFormat: 'jwt', accessTokenTTL: 3600 };
      },
    },
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid offline_access');
    grant.addResourceScope(args.resource, args.scopes);
    await grant.save();
    return grant;
  },
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
});
provider.proxy = false;

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.method === 'GET' && req.url === '/test/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ fetched, token_requests: tokenRequests }));
    return;
  }
  if (req.method === 'POST' && req.url === '/token') tokenRequests += 1;
  callback(req, res);
});

// The test reads stdout only up to this line: the library's later notices go to stderr.
process.stdout.write(`ready ${issuer}\n`);
console.log = console.error;
console.info = console.error;
console.warn = console.error;
