import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RegistrationSweeper } from '../src/oauth/registration/registration-sweeper.service.js';
import { basic, createTestApp, type TestApp } from './helpers/app.js';
import { CookieBrowser } from './helpers/cookie-browser.js';
import { createListeningApp, freePort, type ListeningApp } from './helpers/listening-app.js';
import { authorizationRequest } from './helpers/oauth4webapi-request.js';

/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592), in
 * each CLIENT_REGISTRATION mode, and the CORS of the routes browser-based
 * clients call. The open mode's client registers the way the MCP TypeScript
 * SDK's does (a public client, a loopback redirect, `none`), through
 * oauth4webapi, and then signs a person in through the hosted pages.
 */
const ADMIN = { username: 'registrar-admin', password: 'keeper-of-registrations-1' };
const PASSWORD = 'registering-person-password-1';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

interface Registration {
  client_id: string;
  client_secret?: string;
  client_id_issued_at: number;
  client_secret_expires_at?: number;
  registration_access_token: string;
  registration_client_uri: string;
  [field: string]: unknown;
}

async function adminToken(testApp: TestApp): Promise<string> {
  const response = await testApp.http().post('/auth/token').type('form').send(ADMIN).expect(200);
  return response.body.access_token as string;
}

async function auditTypes(testApp: TestApp, type: string): Promise<{ details: Record<string, unknown> }[]> {
  const response = await testApp.http().get('/audit').query({ type }).set('Authorization', basic(ADMIN.username, ADMIN.password)).expect(200);
  return response.body.items as { details: Record<string, unknown> }[];
}

describe('CLIENT_REGISTRATION=open: an MCP-style client registers itself and signs a person in', () => {
  let gatehouse: ListeningApp;
  let as: oauth.AuthorizationServer;
  let callbackBase: string;
  const redirectUri = () => `${callbackBase}/callback`;

  beforeAll(async () => {
    callbackBase = `http://127.0.0.1:${await freePort()}`;
    gatehouse = await createListeningApp({ CLIENT_REGISTRATION: 'open', THROTTLE_REGISTRATIONS: '8', ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, REGISTRATION_TTL: '1' });
    const issuer = new URL(gatehouse.baseUrl);
    as = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }).then((response) => oauth.processDiscoveryResponse(issuer, response));
  }, 60_000);
  afterAll(() => gatehouse?.close());

  let registered: Registration;

  it('advertises registration_endpoint, and registers a public client with a loopback redirect (RFC 7591 §3.2.1)', async () => {
    expect(as.registration_endpoint).toBe(`${gatehouse.baseUrl}/register`);
    const response = await oauth.dynamicClientRegistrationRequest(
      as,
      { redirect_uris: [redirectUri()], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], client_name: 'An MCP client' },
      insecure,
    );
    registered = (await oauth.processDynamicClientRegistrationResponse(response)) as unknown as Registration;
    expect(registered).toMatchObject({
      client_id: expect.any(String),
      client_name: 'An MCP client',
      redirect_uris: [redirectUri()],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      skip_consent: false,
      registration_client_uri: `${gatehouse.baseUrl}/register/${registered.client_id}`,
    });
    expect(registered.client_secret).toBeUndefined();
    expect(registered.client_id_issued_at).toBeCloseTo(Date.now() / 1000, -1);
    // 256 bits, base64url.
    expect(registered.registration_access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('completes the code flow with PKCE through the login and consent pages, and refreshes', async () => {
    const username = 'mcp-person';
    await fetch(`${gatehouse.baseUrl}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
    const client: oauth.Client = { client_id: registered.client_id, token_endpoint_auth_method: 'none' };
    const { authorizationUrl, codeVerifier, state } = await authorizationRequest(as, client.client_id, redirectUri(), 'openid offline_access');
    const browser = new CookieBrowser();
    const callback = await browser.authorize(authorizationUrl, redirectUri(), { username, password: PASSWORD });
    // Never first-party: the person is asked.
    expect(browser.pagesSeen).toEqual(['login', 'consent']);
    const parameters = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), parameters, redirectUri(), codeVerifier, insecure));
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, insecure));
    expect(refreshed.access_token).not.toBe(tokens.access_token);
  });

  it('keeps a client that got a token past REGISTRATION_TTL, and deletes (and audits) one that did not', async () => {
    const unused = await fetch(as.registration_endpoint!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Never used', redirect_uris: [redirectUri()], token_endpoint_auth_method: 'none' }) });
    const { client_id: unusedId, registration_access_token: unusedToken } = (await unused.json()) as Registration;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await gatehouse.app.get(RegistrationSweeper).sweep();
    const gone = await fetch(`${as.registration_endpoint}/${unusedId}`, { headers: { authorization: `Bearer ${unusedToken}` } });
    expect(gone.status).toBe(401);
    const kept = await fetch(registered.registration_client_uri, { headers: { authorization: `Bearer ${registered.registration_access_token}` } });
    expect(kept.status).toBe(200);
    await vi.waitFor(async () => expect(await auditTypes(gatehouse, 'client.expired')).toMatchObject([{ details: { clientId: unusedId } }]));
    expect((await auditTypes(gatehouse, 'client.registered')).length).toBeGreaterThanOrEqual(2);
  });

  it('reads, replaces (RFC 7592 §2.2: omitted fields removed) and refuses a wrong token with 401 invalid_token', async () => {
    const headers = { authorization: `Bearer ${registered.registration_access_token}`, 'content-type': 'application/json' };
    const read = await fetch(registered.registration_client_uri, { headers });
    expect(await read.json()).toMatchObject({ client_id: registered.client_id, client_name: 'An MCP client', registration_access_token: registered.registration_access_token });

    const replaced = await fetch(registered.registration_client_uri, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ client_id: registered.client_id, client_name: 'Renamed', redirect_uris: [redirectUri()], token_endpoint_auth_method: 'none' }),
    });
    expect(replaced.status).toBe(200);
    // grant_types was left out: back to its default, refresh_token removed.
    expect(await replaced.json()).toMatchObject({ client_name: 'Renamed', grant_types: ['authorization_code'] });

    const gainsFirstParty = await fetch(registered.registration_client_uri, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ client_id: registered.client_id, client_name: 'Renamed', redirect_uris: [redirectUri()], token_endpoint_auth_method: 'none', skip_consent: true }),
    });
    expect(gainsFirstParty.status).toBe(400);
    expect(await gainsFirstParty.json()).toMatchObject({ error: 'invalid_client_metadata' });

    const otherId = await fetch(registered.registration_client_uri, { method: 'PUT', headers, body: JSON.stringify({ client_id: 'someone-else', client_name: 'X', redirect_uris: [redirectUri()] }) });
    expect(otherId.status).toBe(400);

    for (const authorization of [undefined, 'Bearer not-the-token', `Basic ${Buffer.from('a:b').toString('base64')}`]) {
      const wrong = await fetch(registered.registration_client_uri, { headers: authorization ? { authorization } : {} });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await wrong.json()).toMatchObject({ error: 'invalid_token' });
    }
  });

  it('deletes with the registration access token (204): its tokens stop working, and the token then gets 401', async () => {
    const registration = (await (
      await fetch(as.registration_endpoint!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'A service', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' }) })
    ).json()) as Registration;
    expect(registration).toMatchObject({ client_secret: expect.any(String), client_secret_expires_at: 0 });
    const client: oauth.Client = { client_id: registration.client_id };
    const tokens = await oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(registration.client_secret!), new URLSearchParams(), insecure));
    const bearer = { authorization: `Bearer ${registration.registration_access_token}` };
    expect((await fetch(registration.registration_client_uri, { method: 'DELETE', headers: bearer })).status).toBe(204);
    expect((await fetch(registration.registration_client_uri, { headers: bearer })).status).toBe(401);
    expect((await fetch(registration.registration_client_uri, { method: 'DELETE', headers: bearer })).status).toBe(401);
    const introspection = await fetch(as.introspection_endpoint!, { method: 'POST', headers: { authorization: basic(ADMIN.username, ADMIN.password) }, body: new URLSearchParams({ token: tokens.access_token }) });
    expect(await introspection.json()).toMatchObject({ active: false });
  });

  it.each([
    ['skip_consent', { skip_consent: true }],
    ['the password grant', { grant_types: ['password'], token_endpoint_auth_method: 'client_secret_basic' }],
  ])('refuses %s: 400 invalid_client_metadata', async (_what, fields) => {
    const response = await fetch(as.registration_endpoint!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Greedy', redirect_uris: [redirectUri()], ...fields }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringMatching(/admin/) });
  });

  it('answers bad metadata with RFC 7591 §3.2.2 errors', async () => {
    const post = (body: object) => fetch(as.registration_endpoint!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const badRedirect = await post({ client_name: 'Bad', redirect_uris: ['http://evil.example/callback'] });
    expect(badRedirect.status).toBe(400);
    expect(await badRedirect.json()).toMatchObject({ error: 'invalid_redirect_uri', error_description: expect.stringContaining('redirect_uris[0]') });
    const badGrant = await post({ client_name: 'Bad', grant_types: ['implicit'] });
    expect(badGrant.status).toBe(400);
    expect(await badGrant.json()).toMatchObject({ error: 'invalid_client_metadata' });
  });

  it('throttles registrations per address: 429 with Retry-After', async () => {
    let response: Response;
    do {
      response = await fetch(as.registration_endpoint!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Flood', redirect_uris: [redirectUri()], token_endpoint_auth_method: 'none' }) });
    } while (response.status === 201);
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it.each([
    ['GET', '/.well-known/openid-configuration'],
    ['GET', '/.well-known/oauth-authorization-server'],
    ['GET', '/.well-known/jwks.json'],
    ['POST', '/register'],
    ['PUT', '/register/some-client'],
    ['POST', '/auth/token'],
    ['POST', '/auth/revoke'],
    ['GET', '/auth/userinfo'],
  ])('answers a CORS preflight for %s %s from any origin, without credentials', async (method, path) => {
    const response = await gatehouse.http().options(path).set('Origin', 'https://agent.example').set('Access-Control-Request-Method', method).set('Access-Control-Request-Headers', 'authorization, content-type');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-methods'].split(/,\s*/)).toContain(method);
    expect(response.headers['access-control-allow-headers']).toMatch(/authorization/i);
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it.each([
    ['get', '/.well-known/openid-configuration', 200],
    ['get', '/.well-known/jwks.json', 200],
    ['post', '/register', 400],
    ['get', '/register/some-client', 401],
    ['post', '/auth/token', 400],
    ['post', '/auth/revoke', 400],
    ['get', '/auth/userinfo', 401],
  ] as const)('marks the answer to %s %s (%i) for any origin', async (method, path, status) => {
    const response = await gatehouse.http()[method](path).set('Origin', 'https://agent.example');
    expect(response.status).toBe(status);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-expose-headers']).toContain('WWW-Authenticate');
  });

  it('does not answer a foreign origin anywhere else (the account API, the admin API)', async () => {
    const preflight = await gatehouse.http().options('/auth/me').set('Origin', 'https://agent.example').set('Access-Control-Request-Method', 'GET');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.status).not.toBe(204);
    for (const path of ['/auth/me', '/clients', '/register/some-client/extra']) {
      const response = await gatehouse.http().get(path).set('Origin', 'https://agent.example');
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});

describe('CLIENT_REGISTRATION=admin (the default): an admin’s access token is the initial access token', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
  });
  afterAll(() => testApp?.close());

  const body = { client_name: 'Admin-made', redirect_uris: ['https://app.example.com/callback'], skip_consent: true };

  it('refuses no token (401) and a person’s token (403)', async () => {
    await testApp.http().post('/register').send(body).expect(401);
    await testApp.http().post('/auth').send({ username: 'plain-person', password: PASSWORD }).expect(201);
    const person = await testApp.http().post('/auth/token').type('form').send({ username: 'plain-person', password: PASSWORD }).expect(200);
    await testApp.http().post('/register').set('Authorization', `Bearer ${person.body.access_token}`).send(body).expect(403);
  });

  it('registers with an admin’s token, first-party allowed; advertised in discovery; a PUT keeps what the admin allowed, and may not choose the secret', async () => {
    const response = await testApp.http().post('/register').set('Authorization', `Bearer ${await adminToken(testApp)}`).send(body).expect(201);
    expect(response.body).toMatchObject({ skip_consent: true, client_secret: expect.any(String), client_secret_expires_at: 0, registration_access_token: expect.any(String) });
    const discovery = await testApp.http().get('/.well-known/openid-configuration').expect(200);
    expect(discovery.body.registration_endpoint).toMatch(/\/register$/);
    // The registration access token keeps what an admin allowed (RFC 7592 PUT with skip_consent still true).
    const put = await testApp
      .http()
      .put(`/register/${response.body.client_id}`)
      .set('Authorization', `Bearer ${response.body.registration_access_token}`)
      .send({ ...body, client_id: response.body.client_id, client_secret: response.body.client_secret, client_name: 'Admin-made, renamed' })
      .expect(200);
    expect(put.body).toMatchObject({ client_name: 'Admin-made, renamed', skip_consent: true });
    expect(put.body.client_secret).toBeUndefined();
    const wrongSecret = await testApp.http().put(`/register/${response.body.client_id}`).set('Authorization', `Bearer ${response.body.registration_access_token}`).send({ ...body, client_id: response.body.client_id, client_secret: 'chosen-by-the-client' });
    expect(wrongSecret.status).toBe(400);
  });
});

describe('CLIENT_REGISTRATION=off', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ CLIENT_REGISTRATION: 'off' });
  });
  afterAll(() => testApp?.close());

  it('has no registration endpoint (404) and does not advertise one', async () => {
    await testApp.http().post('/register').send({ client_name: 'Nobody', redirect_uris: ['https://app.example.com/callback'] }).expect(404);
    await testApp.http().get('/register/some-client').expect(404);
    const discovery = await testApp.http().get('/.well-known/oauth-authorization-server').expect(200);
    expect(discovery.body).not.toHaveProperty('registration_endpoint');
    // Nor does it answer a preflight there; the token endpoint still does.
    const preflight = await testApp.http().options('/register').set('Origin', 'https://agent.example').set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const token = await testApp.http().options('/auth/token').set('Origin', 'https://agent.example').set('Access-Control-Request-Method', 'POST');
    expect(token.status).toBe(204);
  });
});
