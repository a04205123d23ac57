import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './helpers/app.js';
import { CookieBrowser } from './helpers/cookie-browser.js';
import { createListeningApp, freePort, type ListeningApp } from './helpers/listening-app.js';
import { createSharedDatabase, onPostgres } from './helpers/postgres.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * private_key_jwt client authentication (RFC 7523 §2.2, OIDC Core §9)
 * through oauth4webapi 3's PrivateKeyJwt, with keys in the client's `jwks`
 * and at a `jwks_uri` served here; and every assertion that must fail.
 */
const ADMIN = { username: 'pkjwt-admin', password: 'pkjwt-keeper-of-clients-1' };
const insecure = { [oauth.allowInsecureRequests]: true } as const;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let gatehouse: ListeningApp;
let shared: { url: string; drop: () => Promise<void> };
let as: oauth.AuthorizationServer;
let callbackBase: string;
const redirectUri = () => `${callbackBase}/pkjwt/callback`;

/** The jwks_uri server: what each path answers. */
let jwksServer: Server;
let jwksBase: string;
const served = new Map<string, { status: number; body: string; location?: string }>();

async function register(body: object): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gatehouse.baseUrl}/clients`, {
    method: 'POST',
    headers: { authorization: basic(ADMIN.username, ADMIN.password), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function keyPair(alg: 'ES256' | 'RS256' | 'EdDSA', kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** An assertion made by hand, for the cases a library would not make. */
async function assertion(clientId: string, key: CryptoKey, kid: string, overrides: { aud?: string; exp?: number; iat?: number; jti?: string; alg?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: overrides.jti ?? randomUUID() })
    .setProtectedHeader({ alg: overrides.alg ?? 'ES256', kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(overrides.aud ?? `${gatehouse.baseUrl}/auth/token`)
    .setIssuedAt(overrides.iat ?? now)
    .setExpirationTime(overrides.exp ?? now + 60)
    .sign(key);
}

async function clientCredentials(clientId: string, clientAssertion: string, baseUrl = gatehouse.baseUrl): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: clientAssertion }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const unsigned = (clientId: string, alg: string) => {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg, kid: 'es' })}.${part({ iss: clientId, sub: clientId, aud: gatehouse.baseUrl, exp: now + 60, jti: randomUUID() })}.`;
};

beforeAll(async () => {
  callbackBase = `http://127.0.0.1:${await freePort()}`;
  jwksServer = createServer((request, response) => {
    const answer = served.get(request.url ?? '') ?? { status: 404, body: '{}' };
    response.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.location ? { location: answer.location } : {}) });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksBase = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
  shared = await createSharedDatabase();
  gatehouse = await createListeningApp({ DATABASE_URL: shared.url, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
  const issuer = new URL(gatehouse.baseUrl);
  as = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }).then((response) => oauth.processDiscoveryResponse(issuer, response));
}, 60_000);
afterAll(async () => {
  await gatehouse?.close();
  await shared?.drop();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

describe('private_key_jwt', () => {
  it('is advertised with the signing algorithms', () => {
    expect(as.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(as.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256', 'EdDSA', 'PS256']));
    expect(as.token_endpoint_auth_signing_alg_values_supported).not.toContain('HS256');
  });

  it('registration: exactly one of jwks and jwks_uri, public keys only; no secret is made', async () => {
    const { jwk } = await keyPair('ES256', 'k');
    const base = { client_name: 'Key client', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' };
    expect((await register(base)).status).toBe(400);
    expect((await register({ ...base, jwks: { keys: [jwk] }, jwks_uri: `${jwksBase}/x.json` })).status).toBe(400);
    const { privateKey } = await keyPair('ES256', 'p');
    const leaked = await register({ ...base, jwks: { keys: [await exportJWK(privateKey)] } });
    expect(leaked.status).toBe(400);
    expect(leaked.body.message).toContain('private member "d"');
    const ok = await register({ ...base, jwks: { keys: [jwk] } });
    expect(ok.status).toBe(201);
    expect(ok.body.client_secret).toBeUndefined();
    expect(ok.body.jwks).toEqual({ keys: [jwk] });
  });

  describe('a client with jwks', () => {
    let client: oauth.Client;
    let key: { privateKey: CryptoKey; jwk: JWK };

    beforeAll(async () => {
      key = await keyPair('ES256', 'es-1');
      const { body } = await register({ client_name: 'JWKS client', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.jwk] } });
      client = { client_id: body.client_id as string, token_endpoint_auth_method: 'private_key_jwt' };
    });

    it('client_credentials with oauth4webapi PrivateKeyJwt', async () => {
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.PrivateKeyJwt({ key: key.privateKey, kid: 'es-1' }), {}, insecure);
      const tokens = await oauth.processClientCredentialsResponse(as, client, response);
      expect(tokens.access_token).toEqual(expect.any(String));
      // Introspection and revocation take the same authentication (a new assertion each time).
      const auth = oauth.PrivateKeyJwt({ key: key.privateKey, kid: 'es-1' });
      const introspection = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
      expect(introspection).toMatchObject({ active: true, client_id: client.client_id });
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure));
      const after = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
      expect(after.active).toBe(false);
    });

    it('an assertion used twice: invalid_client the second time', async () => {
      const once = await assertion(client.client_id, key.privateKey, 'es-1');
      expect((await clientCredentials(client.client_id, once)).status).toBe(200);
      expect(await clientCredentials(client.client_id, once)).toMatchObject({ status: 401, body: { error: 'invalid_client', error_description: expect.stringContaining('already used') } });
    });

    it('has no secret to rotate', async () => {
      const response = await fetch(`${gatehouse.baseUrl}/clients/${client.client_id}/secret`, { method: 'POST', headers: { authorization: basic(ADMIN.username, ADMIN.password) } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain('private_key_jwt');
    });

    it.each([
      ['another audience', { aud: 'https://elsewhere.example.com' }],
      ['expired', { iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 300 }],
      ['far in the future', { exp: Math.floor(Date.now() / 1000) + 3600 }],
    ])('refuses an assertion %s', async (_name, overrides) => {
      expect(await clientCredentials(client.client_id, await assertion(client.client_id, key.privateKey, 'es-1', overrides))).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    });

    it('refuses alg none, HS256, and a key it does not know', async () => {
      expect((await clientCredentials(client.client_id, unsigned(client.client_id, 'none'))).status).toBe(401);
      const hs = await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'HS256', kid: 'es-1' })
        .setIssuer(client.client_id)
        .setSubject(client.client_id)
        .setAudience(gatehouse.baseUrl)
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode('a-shared-secret-the-server-never-had-0123456789'));
      expect((await clientCredentials(client.client_id, hs)).status).toBe(401);
      const other = await keyPair('ES256', 'es-unknown');
      expect((await clientCredentials(client.client_id, await assertion(client.client_id, other.privateKey, 'es-unknown'))).status).toBe(401);
      // The right kid, another key: the signature fails.
      expect((await clientCredentials(client.client_id, await assertion(client.client_id, other.privateKey, 'es-1'))).status).toBe(401);
    });
  });

  it('authenticates at the PAR endpoint with the PAR endpoint URL as aud', async () => {
    const key = await keyPair('EdDSA', 'ed-1');
    const { body } = await register({ client_name: 'PAR key client', redirect_uris: [redirectUri()], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.jwk] } });
    const clientId = body.client_id as string;
    const push = async (aud: string) =>
      fetch(`${gatehouse.baseUrl}/auth/par`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: clientId,
          client_assertion_type: JWT_BEARER,
          client_assertion: await assertion(clientId, key.privateKey, 'ed-1', { aud, alg: 'EdDSA' }),
          response_type: 'code',
          redirect_uri: redirectUri(),
          code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
          code_challenge_method: 'S256',
        }),
      });
    expect((await push(`${gatehouse.baseUrl}/auth/par`)).status).toBe(201);
    expect((await push('https://elsewhere.example.com/auth/par')).status).toBe(401);
  });

  describe('a client with jwks_uri', () => {
    it('the code flow through the hosted login, then the token with PrivateKeyJwt (keys fetched from the jwks_uri)', async () => {
      const key = await keyPair('RS256', 'rs-1');
      served.set('/code-client.json', { status: 200, body: JSON.stringify({ keys: [key.jwk] }) });
      const { body } = await register({
        client_name: 'JWKS URI client',
        redirect_uris: [redirectUri()],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: `${jwksBase}/code-client.json`,
      });
      const client: oauth.Client = { client_id: body.client_id as string, token_endpoint_auth_method: 'private_key_jwt' };
      const person = { username: `pkjwt-person-${randomUUID().slice(0, 8)}`, password: 'pkjwt-person-password-1' };
      expect((await fetch(`${gatehouse.baseUrl}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(person) })).status).toBe(201);

      const codeVerifier = oauth.generateRandomCodeVerifier();
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: client.client_id,
        redirect_uri: redirectUri(),
        response_type: 'code',
        scope: 'openid',
        code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state: 'pk-state',
      }).toString();
      const callback = await new CookieBrowser().authorize(url, redirectUri(), person);
      const parameters = oauth.validateAuthResponse(as, client, callback, 'pk-state');
      const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.PrivateKeyJwt({ key: key.privateKey, kid: 'rs-1' }), parameters, redirectUri(), codeVerifier, insecure);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
      expect(tokens.access_token).toEqual(expect.any(String));
    });

    it('a jwks_uri that redirects, or answers too much, is invalid_client', async () => {
      const key = await keyPair('ES256', 'es-r');
      served.set('/redirects.json', { status: 302, body: '', location: `${jwksBase}/elsewhere.json` });
      served.set('/elsewhere.json', { status: 200, body: JSON.stringify({ keys: [key.jwk] }) });
      served.set('/huge.json', { status: 200, body: JSON.stringify({ keys: [key.jwk], padding: 'x'.repeat(200_000) }) });
      for (const path of ['/redirects.json', '/huge.json']) {
        const { body } = await register({ client_name: `Bad ${path}`, grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${jwksBase}${path}` });
        const clientId = body.client_id as string;
        expect(await clientCredentials(clientId, await assertion(clientId, key.privateKey, 'es-r')), path).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      }
    });
  });
});

describe.skipIf(!onPostgres())('two instances on one PostgreSQL database', () => {
  let second: RunningServer;
  let clientId: string;
  let key: { privateKey: CryptoKey; jwk: JWK };

  beforeAll(async () => {
    // The same deployment: one database, one issuer (the address in front of both).
    second = await startServer({ DATABASE_URL: shared.url, PUBLIC_URL: gatehouse.baseUrl });
    key = await keyPair('ES256', 'es-two');
    const { body } = await register({ client_name: 'Two-instance client', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.jwk] } });
    clientId = body.client_id as string;
  }, 30_000);
  afterAll(() => second?.stop());

  it('an assertion accepted by one instance is a replay at the other', async () => {
    const once = await assertion(clientId, key.privateKey, 'es-two');
    expect((await clientCredentials(clientId, once, second.baseUrl)).status).toBe(200);
    expect(await clientCredentials(clientId, once)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('the same assertion sent to both at once is accepted once', async () => {
    for (let round = 0; round < 5; round++) {
      const once = await assertion(clientId, key.privateKey, 'es-two');
      const answers = await Promise.all([clientCredentials(clientId, once), clientCredentials(clientId, once, second.baseUrl)]);
      expect(answers.map(({ status }) => status).sort()).toEqual([200, 401]);
    }
  });
});
