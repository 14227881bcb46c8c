// An Entra-shaped OpenID provider for end-to-end tests (oidc-provider 9.13.3).
//
//   node tests/oidc/provider.mjs
//
// Listens on 127.0.0.1, port 0, and prints `listening on http://127.0.0.1:PORT` as its first
// line. Paths, requests and access-token claims follow Entra ID v2.0 for one test tenant, so
// clients written for Entra work against it unchanged. Environment:
//   OIDC_ACCESS_TOKEN_TTL   access-token lifetime in seconds (default 3600)
//   OIDC_CLIENT_CERT_PEM    a certificate (PEM) whose public key the private_key_jwt client uses
//   OIDC_TENANT             the tenant id (default the test tenant below)
//
// Test-only routes (never on a real provider):
//   GET /test/federated-token?client_id=ID  an assertion for the federated client, signed by the
//                                           workload key this provider holds (stands in for
//                                           GitHub Actions' token issuer)
//   GET /msi/token                          App Service's managed identity endpoint
//                                           (IDENTITY_ENDPOINT; header X-IDENTITY-HEADER)
//   GET /metadata/identity/oauth2/token     the Azure Instance Metadata Service (header Metadata)
//   Both answer with a token of the federated client: it plays the resource's managed identity.
//   GET /test/github-oidc?audience=A         GitHub Actions' ID token endpoint
//                                           (ACTIONS_ID_TOKEN_REQUEST_URL; bearer
//                                           ACTIONS_ID_TOKEN_REQUEST_TOKEN): {"value": assertion}
// Every value here is a test value: the secrets are not secrets, only distinctive strings.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as querystring from 'node:querystring';

import Provider, { interactionPolicy } from 'oidc-provider';

const TENANT = process.env.OIDC_TENANT || '5c0e6d6a-9b1f-4e0a-8f3e-2d7c4b1a9e60';
const ACCESS_TOKEN_TTL = Number.parseInt(process.env.OIDC_ACCESS_TOKEN_TTL || '3600', 10);
const LICENSING = 'aeb86249-8ea3-49e2-900b-54cc8e308f85';
// What App Service puts in IDENTITY_HEADER: a test value.
const MSI_HEADER = 'test-identity-header';
// What GitHub puts in ACTIONS_ID_TOKEN_REQUEST_TOKEN: a test value.
const GITHUB_REQUEST_TOKEN = 'test-github-request-token';

const ROLE_READ = 'Policy.Read.AllowSelfServicePurchase';
const ROLE_WRITE = 'Policy.ReadWrite.AllowSelfServicePurchase';
const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const BILLING_ADMIN = 'b0f54661-2d74-4c50-afa3-1ec803f12efe';
const GLOBAL_READER = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';

const CLIENTS = {
  device: '3d5cffa9-04da-4657-8cab-c7f074657cad',
  browser: '7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e06',
  writer: '7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e01',
  reader: '7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e02',
  noRoles: '7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e03',
  certificate: '7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e04',
  federated: '7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e05',
};
const SECRETS = {
  writer: 'TESTONLY-writer-secret-Zq8vN3kW',
  reader: 'TESTONLY-reader-secret-Hm4pR7tX',
  noRoles: 'TESTONLY-noroles-secret-Bc2yJ6dF',
};
const ROLES = {
  [CLIENTS.writer]: [ROLE_WRITE],
  [CLIENTS.reader]: [ROLE_READ],
  [CLIENTS.noRoles]: [],
  [CLIENTS.certificate]: [ROLE_WRITE],
  [CLIENTS.federated]: [ROLE_WRITE],
};
// Directory roles of the device-code users; any other login signs in with no role.
const USERS = {
  'admin@contoso.test': [GLOBAL_ADMIN],
  'billing@contoso.test': [BILLING_ADMIN],
  'reader@contoso.test': [GLOBAL_READER],
  'nobody@contoso.test': [],
};

/** A stable GUID-shaped object id for a name, like Entra's `oid`. */
function objectId(name) {
  const h = crypto.createHash('sha256').update(`${TENANT}/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function signingKey(kid) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { key: privateKey, jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}

function publicJwk(jwk) {
  const { kty, n, e, kid, alg, use } = jwk;
  return { kty, n, e, kid, alg, use };
}

/** The certificate client's JWKS: the certificate's public key, with Entra's `x5t`. */
function certificateJwks() {
  const path = process.env.OIDC_CLIENT_CERT_PEM;
  if (!path) {
    return { keys: [] };
  }
  const cert = new crypto.X509Certificate(fs.readFileSync(path));
  const x5t = crypto.createHash('sha1').update(cert.raw).digest('base64url');
  return { keys: [{ ...cert.publicKey.export({ format: 'jwk' }), kid: x5t, x5t, alg: 'RS256', use: 'sig' }] };
}

function base64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function signJwt(header, payload, key) {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/**
 * Entra's `scope=<resource>/.default` becomes oidc-provider's resource indicator: the
 * `.default` scope is dropped and `resource=<uri>` added (a bare GUID becomes `api://GUID`).
 */
function entraForm(form) {
  const scopes = String(form.scope || '').split(/\s+/).filter(Boolean);
  const defaults = scopes.filter((s) => s.endsWith('/.default'));
  if (defaults.length === 0) {
    return form;
  }
  const resource = defaults[0].slice(0, -'/.default'.length);
  // A refresh token is the offline access: Entra takes `offline_access` on a refresh whether
  // or not the grant behind the token named it (a browser sign-in's does not, see below).
  const implied = form.grant_type === 'refresh_token' ? ['offline_access'] : [];
  return {
    ...form,
    scope: scopes.filter((s) => !s.endsWith('/.default') && !implied.includes(s)).join(' '),
    resource: resource.includes(':') ? resource : `api://${resource}`,
  };
}

/**
 * A person's sign-in (device code, browser) asks for Microsoft Graph beside its resource:
 * Entra's refresh tokens serve every resource the app was consented to, so the binary redeems
 * the kept refresh token for Graph; oidc-provider redeems one only for resources named when the
 * sign-in began.
 */
const GRAPH = 'https://graph.microsoft.com';
function withGraph(form) {
  return form.resource ? { ...form, resource: [form.resource, GRAPH].flat() } : form;
}

/** The audience of a resource indicator: `api://GUID` is the GUID, as Entra's v2 tokens. */
function audienceOf(resource) {
  return resource.startsWith('api://') ? resource.slice('api://'.length) : resource;
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const issuer = `${base}/${TENANT}/v2.0`;
const tokenEndpoint = `${base}/${TENANT}/oauth2/v2.0/token`;

const tokenKey = signingKey('test-token-key');
const workloadKey = signingKey('test-workload-key');

// Entra issues a refresh token whenever offline_access is asked for; oidc-provider drops that
// scope from an authorization request without prompt=consent (OpenID Connect Core §11). The
// PKCE challenges of the requests that asked for it, so their codes still get one.
const offlineRequested = new Set();

const noRedirects = { redirect_uris: [], response_types: [] };
// A native app's loopback redirect, any port (RFC 8252 §7.3), as Entra's `http://localhost`.
const loopbackRedirects = {
  application_type: 'native',
  redirect_uris: ['http://localhost', 'http://127.0.0.1'],
  response_types: ['code'],
};
// Entra asks for consent where none is granted, native app or not (oidc-provider always asks
// native apps): the admin-consented MSCommerce client signs in with no consent page.
const interactions = interactionPolicy.base();
interactions.get('consent').checks.remove('native_client_prompt');

const provider = new Provider(issuer, {
  interactions: { policy: interactions },
  clients: [
    {
      // MSCommerce's public client: device code, and the browser with admin consent granted.
      client_id: CLIENTS.device,
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'authorization_code', 'refresh_token'],
      ...loopbackRedirects,
    },
    {
      // An admin's own public app registration, not consented yet: the browser asks.
      client_id: CLIENTS.browser,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      ...loopbackRedirects,
    },
    ...['writer', 'reader', 'noRoles'].map((name) => ({
      client_id: CLIENTS[name],
      client_secret: SECRETS[name],
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      ...noRedirects,
    })),
    {
      client_id: CLIENTS.certificate,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      jwks: certificateJwks(),
      grant_types: ['client_credentials'],
      ...noRedirects,
    },
    {
      client_id: CLIENTS.federated,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      jwks: { keys: [publicJwk(workloadKey.jwk)] },
      grant_types: ['client_credentials'],
      ...noRedirects,
    },
  ],
  jwks: { keys: [tokenKey.jwk] },
  routes: {
    token: `/${TENANT}/oauth2/v2.0/token`,
    device_authorization: `/${TENANT}/oauth2/v2.0/devicecode`,
    jwks: `/${TENANT}/discovery/v2.0/keys`,
    authorization: `/${TENANT}/oauth2/v2.0/authorize`,
  },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    revocation: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => `api://${LICENSING}`,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => ({
        scope: 'user_impersonation',
        audience: audienceOf(resource),
        accessTokenTTL: ACCESS_TOKEN_TTL,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  // Admin consent is granted tenant-wide in Entra: no consent prompt for the device client;
  // the browser client's user consents (or declines) on the consent page.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    if (ctx.oidc.client.clientId === CLIENTS.browser) {
      return undefined;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid offline_access profile email');
    grant.addResourceScope(`api://${LICENSING}`, 'user_impersonation');
    for (const resource of [ctx.oidc.params.resource].flat().filter(Boolean)) {
      grant.addResourceScope(resource, 'user_impersonation');
    }
    await grant.save();
    return grant;
  },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: objectId(id), upn: id, preferred_username: id, email: id }),
  }),
  extraTokenClaims: async (ctx, token) => {
    const appid = token.clientId;
    const claims = { tid: TENANT, azp: appid, appid, ver: '2.0' };
    if (token.accountId) {
      return {
        ...claims,
        oid: objectId(token.accountId),
        upn: token.accountId,
        preferred_username: token.accountId,
        wids: USERS[token.accountId] || [],
        scp: 'user_impersonation',
      };
    }
    return { ...claims, oid: objectId(`app:${appid}`), roles: ROLES[appid] || [] };
  },
  issueRefreshToken: async (ctx, client, source) => client.grantTypeAllowed('refresh_token')
    && (source.scopes.has('offline_access') || offlineRequested.has(source.codeChallenge)),
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    ClientCredentials: ACCESS_TOKEN_TTL,
    DeviceCode: 600,
    Grant: 86400,
    IdToken: 3600,
    Interaction: 600,
    RefreshToken: 86400,
    Session: 86400,
  },
  cookies: { keys: ['test-only-cookie-key'] },
  // Public clients must prove the code is theirs (RFC 7636, S256), as Entra's native apps.
  pkce: { required: (ctx, client) => client.tokenEndpointAuthMethod === 'none' },
});
provider.proxy = false;
const callback = provider.callback();

/** GitHub-Actions-like workload assertion for the federated client. */
function federatedToken(clientId) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: clientId, sub: clientId, aud: tokenEndpoint, iat: now, nbf: now, exp: now + 300, jti: crypto.randomUUID() };
  return signJwt({ alg: 'RS256', typ: 'JWT', kid: workloadKey.jwk.kid }, payload, workloadKey.key);
}

function answer(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  return querystring.parse(Buffer.concat(chunks).toString('utf8'));
}

/** A managed identity's token, in the shape of App Service (`expires_on`) or IMDS (`expires_in`). */
async function managedIdentity(req, res, url) {
  const appService = url.pathname === '/msi/token';
  const proof = appService ? req.headers['x-identity-header'] === MSI_HEADER : req.headers.metadata === 'true';
  if (!proof) {
    answer(res, 400, { error: 'invalid_request', error_description: 'the identity header is missing or wrong' });
    return;
  }
  const clientId = url.searchParams.get('client_id');
  if (clientId && clientId !== CLIENTS.federated) {
    answer(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
    return;
  }
  const resource = url.searchParams.get('resource') || LICENSING;
  const form = {
    client_id: CLIENTS.federated,
    grant_type: 'client_credentials',
    scope: `${resource}/.default`,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: federatedToken(CLIENTS.federated),
  };
  const response = await fetch(tokenEndpoint, { method: 'POST', body: new URLSearchParams(form) });
  const token = await response.json();
  if (!response.ok) {
    answer(res, 500, token);
    return;
  }
  const expiresOn = String(Math.floor(Date.now() / 1000) + token.expires_in);
  const shape = appService ? {} : { expires_in: String(token.expires_in) };
  answer(res, 200, { access_token: token.access_token, expires_on: expiresOn, resource, token_type: 'Bearer', ...shape });
}

server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, base);
    if (url.pathname === '/msi/token' || url.pathname === '/metadata/identity/oauth2/token') {
      await managedIdentity(req, res, url);
      return;
    }
    if (url.pathname === '/test/github-oidc') {
      const ok = req.headers.authorization === `Bearer ${GITHUB_REQUEST_TOKEN}`
        && url.searchParams.get('audience') === 'api://AzureADTokenExchange';
      answer(res, ok ? 200 : 401, ok ? { value: federatedToken(CLIENTS.federated) } : { message: 'Bad credentials' });
      return;
    }
    if (url.pathname === '/test/federated-token') {
      const clientId = url.searchParams.get('client_id') || CLIENTS.federated;
      answer(res, 200, { token: federatedToken(clientId) });
      return;
    }
    // Entra publishes discovery under the issuer; oidc-provider serves it at the root.
    if (url.pathname === `/${TENANT}/v2.0/.well-known/openid-configuration`) {
      req.url = '/.well-known/openid-configuration';
    }
    if (req.method === 'GET' && url.pathname === `/${TENANT}/oauth2/v2.0/authorize`) {
      // `.default` asks for every permission granted on the resource: here, its one scope.
      const query = withGraph(entraForm(Object.fromEntries(url.searchParams)));
      if (String(query.scope).split(' ').includes('offline_access') && query.code_challenge) {
        offlineRequested.add(query.code_challenge);
      }
      if (query.resource) {
        query.scope = `${query.scope} user_impersonation`.trim();
      }
      req.url = `${url.pathname}?${querystring.stringify(query)}`;
    }
    const isForm = String(req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded');
    if (req.method === 'POST' && isForm && url.pathname.startsWith(`/${TENANT}/oauth2/`)) {
      // Read here and hand over already parsed: oidc-provider then uses req.body.
      const form = entraForm(await readForm(req));
      const signInStarts = url.pathname === `/${TENANT}/oauth2/v2.0/devicecode`;
      req.body = querystring.stringify(signInStarts ? withGraph(form) : form);
    }
    callback(req, res);
  } catch (error) {
    answer(res, 500, { error: 'server_error', error_description: String(error) });
  }
});

process.stdout.write(`listening on ${base}\n`);
// Callers read the first line and may close the pipe: everything else goes to stderr.
process.stdout.on('error', () => {});
console.log = console.error;
console.info = console.error;
