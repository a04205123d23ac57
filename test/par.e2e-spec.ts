import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './helpers/app.js';
import { CookieBrowser } from './helpers/cookie-browser.js';
import { createListeningApp, freePort, type ListeningApp } from './helpers/listening-app.js';
import type { RunningServer } from './helpers/server.js';
import { startTwoInstances, type TwoInstances } from './helpers/two-instances.js';

/**
 * Pushed authorization requests (RFC 9126) through oauth4webapi 3: the push,
 * the code flow through the hosted login with only client_id and request_uri,
 * the token exchange; single use; clients (and servers) that require it.
 */
const ADMIN = { username: 'par-admin', password: 'par-keeper-of-clients-1' };
const PASSWORD = 'par-person-password-1';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let gatehouse: ListeningApp;
let callbackBase: string;
const redirectUri = () => `${callbackBase}/par/callback`;

async function register(app: ListeningApp, body: object): Promise<{ client_id: string; client_secret?: string; require_pushed_authorization_requests: boolean }> {
  const response = await fetch(`${app.baseUrl}/clients`, {
    method: 'POST',
    headers: { authorization: basic(ADMIN.username, ADMIN.password), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { client_id: string; client_secret?: string; require_pushed_authorization_requests: boolean };
}

let people = 0;
async function newPerson(app: ListeningApp): Promise<{ username: string; password: string }> {
  const username = `par-person-${++people}`;
  const response = await fetch(`${app.baseUrl}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  expect(response.status).toBe(201);
  return { username, password: PASSWORD };
}

async function discover(app: ListeningApp): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(app.baseUrl);
  return oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }).then((response) => oauth.processDiscoveryResponse(issuer, response));
}

/** The authorization endpoint with only client_id and request_uri (RFC 9126 §4). */
function authorizeWith(as: oauth.AuthorizationServer, clientId: string, requestUri: string): URL {
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({ client_id: clientId, request_uri: requestUri }).toString();
  return url;
}

beforeAll(async () => {
  callbackBase = `http://127.0.0.1:${await freePort()}`;
  gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
}, 60_000);
afterAll(() => gatehouse?.close());

describe('pushed authorization requests (RFC 9126)', () => {
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let secret: string;
  let requiringClient: oauth.Client;

  beforeAll(async () => {
    as = await discover(gatehouse);
    const registered = await register(gatehouse, { client_name: 'A PAR web app', redirect_uris: [redirectUri()], token_endpoint_auth_method: 'client_secret_post' });
    client = { client_id: registered.client_id, token_endpoint_auth_method: 'client_secret_post' };
    secret = registered.client_secret!;
    const requiring = await register(gatehouse, { client_name: 'A PAR-only app', redirect_uris: [redirectUri()], token_endpoint_auth_method: 'none', require_pushed_authorization_requests: true });
    expect(requiring.require_pushed_authorization_requests).toBe(true);
    requiringClient = { client_id: requiring.client_id, token_endpoint_auth_method: 'none' };
  });

  async function push(target: oauth.Client, auth: oauth.ClientAuth, extra: Record<string, string> = {}) {
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const parameters = new URLSearchParams({
      redirect_uri: redirectUri(),
      response_type: 'code',
      scope: 'openid profile',
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    });
    const response = await oauth.pushedAuthorizationRequest(as, target, auth, parameters, insecure);
    return { response, codeVerifier, state };
  }

  it('is advertised in discovery, not required server-wide by default', () => {
    expect(as.pushed_authorization_request_endpoint).toBe(`${gatehouse.baseUrl}/auth/par`);
    expect(as.require_pushed_authorization_requests).toBe(false);
  });

  it('push, then the code flow through the login and consent pages with client_id and request_uri only, then the token; the request_uri works once', async () => {
    const { response, codeVerifier, state } = await push(client, oauth.ClientSecretPost(secret));
    expect(response.status).toBe(201);
    const pushed = await oauth.processPushedAuthorizationResponse(as, client, response);
    expect(pushed.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
    expect(pushed.expires_in).toBe(60);

    const person = await newPerson(gatehouse);
    const browser = new CookieBrowser();
    const url = authorizeWith(as, client.client_id, pushed.request_uri);
    // Parameters beside client_id and request_uri are ignored (RFC 9126 §4): a state the client did not push does not come back.
    url.searchParams.set('state', 'not-pushed');
    const callback = await browser.authorize(url, redirectUri(), person);
    expect(browser.pagesSeen).toEqual(['login', 'consent']);
    const parameters = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretPost(secret), parameters, redirectUri(), codeVerifier, insecure),
    );
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'openid profile' });

    // A second use of the same request_uri, even in the signed-in browser: a page, no redirect.
    const replay = await browser.request(authorizeWith(as, client.client_id, pushed.request_uri));
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('invalid_request_uri');
  });

  it('a request_uri of another client, or unknown, is refused with a page', async () => {
    const pushed = await oauth.processPushedAuthorizationResponse(as, client, (await push(client, oauth.ClientSecretPost(secret))).response);
    const other = await fetch(authorizeWith(as, requiringClient.client_id, pushed.request_uri), { redirect: 'manual' });
    expect(other.status).toBe(400);
    const unknown = await fetch(authorizeWith(as, client.client_id, 'urn:ietf:params:oauth:request_uri:' + 'A'.repeat(43)), { redirect: 'manual' });
    expect(unknown.status).toBe(400);
    // Refused for the wrong client, it was not claimed: the right client can still use it.
    const right = await fetch(authorizeWith(as, client.client_id, pushed.request_uri), { redirect: 'manual' });
    expect(right.status).toBe(200);
    // ...once: the login page's reload (a new GET) is a second authorization request.
    const again = await fetch(authorizeWith(as, client.client_id, pushed.request_uri), { redirect: 'manual' });
    expect(again.status).toBe(400);
  });

  it('errors at the PAR endpoint are JSON (RFC 9126 §2.3): no PKCE, a foreign redirect_uri, a request_uri, no client authentication', async () => {
    const noPkce = await fetch(as.pushed_authorization_request_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.client_id, client_secret: secret, response_type: 'code', redirect_uri: redirectUri() }),
    });
    expect(noPkce.status).toBe(400);
    expect(await noPkce.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('code_challenge') });

    const foreign = await push(client, oauth.ClientSecretPost(secret), { redirect_uri: 'https://evil.example.com/cb' });
    await expect(oauth.processPushedAuthorizationResponse(as, client, foreign.response)).rejects.toMatchObject({ error: 'invalid_request' });

    const nested = await push(client, oauth.ClientSecretPost(secret), { request_uri: 'urn:ietf:params:oauth:request_uri:x' });
    await expect(oauth.processPushedAuthorizationResponse(as, client, nested.response)).rejects.toMatchObject({ error: 'invalid_request' });

    const scope = await push(client, oauth.ClientSecretPost(secret), { scope: 'openid no-such-scope' });
    await expect(oauth.processPushedAuthorizationResponse(as, client, scope.response)).rejects.toMatchObject({ error: 'invalid_scope' });

    const anonymous = await fetch(as.pushed_authorization_request_endpoint!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'response_type=code' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'invalid_client' });

    const wrongSecret = await push(client, oauth.ClientSecretPost('not-the-secret'));
    expect(wrongSecret.response.status).toBe(401);
  });

  it('a client with require_pushed_authorization_requests: a direct request is invalid_request; a pushed one (public client) works', async () => {
    const direct = new URL(as.authorization_endpoint!);
    direct.search = new URLSearchParams({
      client_id: requiringClient.client_id,
      redirect_uri: redirectUri(),
      response_type: 'code',
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
      state: 'direct',
    }).toString();
    const refused = await fetch(direct, { redirect: 'manual' });
    expect(refused.status).toBe(303);
    const location = new URL(refused.headers.get('location')!);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({ error: 'invalid_request', state: 'direct' });

    const { response, codeVerifier, state } = await push(requiringClient, oauth.None());
    const pushed = await oauth.processPushedAuthorizationResponse(as, requiringClient, response);
    const callback = await new CookieBrowser().authorize(authorizeWith(as, requiringClient.client_id, pushed.request_uri), redirectUri(), await newPerson(gatehouse));
    const parameters = oauth.validateAuthResponse(as, requiringClient, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      requiringClient,
      await oauth.authorizationCodeGrantRequest(as, requiringClient, oauth.None(), parameters, redirectUri(), codeVerifier, insecure),
    );
    expect(tokens.access_token).toEqual(expect.any(String));
  });
});

describe('REQUIRE_PAR=true', () => {
  let strict: ListeningApp;
  beforeAll(async () => {
    strict = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, REQUIRE_PAR: 'true' });
  }, 60_000);
  afterAll(() => strict?.close());

  it('discovery says so, and every client must push', async () => {
    const as = await discover(strict);
    expect(as.require_pushed_authorization_requests).toBe(true);
    const registered = await register(strict, { client_name: 'Any app', redirect_uris: [redirectUri()], token_endpoint_auth_method: 'none' });
    const direct = new URL(as.authorization_endpoint!);
    direct.search = new URLSearchParams({
      client_id: registered.client_id,
      response_type: 'code',
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const refused = await fetch(direct, { redirect: 'manual' });
    expect(refused.status).toBe(303);
    expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });
});

/** Two built instances on one database (PostgreSQL with TEST_DATABASE=postgres, else one SQLite file): a pushed request_uri opens one authorization request, whichever instances its uses reach. */
describe('request_uri across two instances', () => {
  let instances: TwoInstances;
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    instances = await startTwoInstances({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
    ({ a, b } = instances);
  }, 60_000);
  afterAll(() => instances?.stop());

  it('is used once: of six uses sent to both instances at once, one opens the login page, every other gets the invalid_request_uri page', async () => {
    const registered = await fetch(`${a.baseUrl}/clients`, {
      method: 'POST',
      headers: { authorization: basic(ADMIN.username, ADMIN.password), 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'A PAR app on two instances', redirect_uris: ['http://127.0.0.1:9/callback'], token_endpoint_auth_method: 'none' }),
    });
    expect(registered.status).toBe(201);
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    for (let round = 0; round < 10; round++) {
      const pushed = await fetch(`${(round % 2 ? b : a).baseUrl}/auth/par`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: clientId,
          redirect_uri: 'http://127.0.0.1:9/callback',
          response_type: 'code',
          code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
          code_challenge_method: 'S256',
        }),
      });
      expect(pushed.status).toBe(201);
      const requestUri = ((await pushed.json()) as { request_uri: string }).request_uri;
      const uses = await Promise.all(
        Array.from({ length: 6 }, async (_, index) => {
          const server = index % 2 ? b : a;
          const response = await fetch(`${server.baseUrl}/authorize?${new URLSearchParams({ client_id: clientId, request_uri: requestUri })}`, { redirect: 'manual' });
          return { status: response.status, text: await response.text() };
        }),
      );
      expect(uses.filter((use) => use.status === 200)).toHaveLength(1);
      for (const use of uses.filter((use) => use.status !== 200)) {
        expect(use.status).toBe(400);
        expect(use.text).toContain('invalid_request_uri');
      }
    }
  });
});
