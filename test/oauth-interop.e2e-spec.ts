import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './helpers/app.js';
import { CookieBrowser } from './helpers/cookie-browser.js';
import { createListeningApp, freePort, type ListeningApp } from './helpers/listening-app.js';
import { authorizationRequest } from './helpers/oauth4webapi-request.js';

/**
 * Interop (issue 25, item 9): two certified client libraries by panva —
 * `openid-client` 6 and the lower-level `oauth4webapi` 3 — against the app
 * listening on a real port. They validate what Gatehouse answers the way a
 * production client does (the issuer of the discovery document, `iss` on the
 * authorization response per RFC 9207, `state`, the token responses' shape),
 * so each call below that resolves is a response a real client accepts. The
 * person is a CookieBrowser that fills the hosted pages' forms.
 */
let gatehouse: ListeningApp;
let issuer: URL;
const ADMIN = { username: 'interop-admin', password: 'interop-keeper-of-clients-1' };
const PASSWORD = 'interop-person-password-1';
const RESOURCE = 'https://api.example.com';

interface RegisteredClient {
  client_id: string;
  client_secret?: string;
}

/** Redirect URIs on a loopback port that nothing listens on: the CookieBrowser stops at the redirect, as a client's server would receive it. */
let callbackBase: string;

async function register(body: object): Promise<RegisteredClient> {
  const response = await fetch(`${gatehouse.baseUrl}/clients`, {
    method: 'POST',
    headers: { authorization: basic(ADMIN.username, ADMIN.password), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as RegisteredClient;
}

let people = 0;
async function newPerson(): Promise<{ username: string; password: string }> {
  const username = `interop-person-${++people}`;
  const response = await fetch(`${gatehouse.baseUrl}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  expect(response.status).toBe(201);
  return { username, password: PASSWORD };
}

/**
 * GET / with the token as a plain Bearer, through oauth4webapi: the greeting
 * names the person (or the client). A refusal is a 401 whose challenge the
 * library parses (RFC 6750 §3; Basic is offered beside it); Bearer's must
 * say invalid_token.
 */
async function greeting(accessToken: string): Promise<{ status: number; message?: string }> {
  try {
    const response = await oauth.protectedResourceRequest(accessToken, 'GET', new URL(`${gatehouse.baseUrl}/`), undefined, undefined, { [oauth.allowInsecureRequests]: true });
    return { status: response.status, ...(response.ok ? ((await response.json()) as { message: string }) : {}) };
  } catch (error) {
    if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
    expect(error.cause).toEqual(expect.arrayContaining([expect.objectContaining({ scheme: 'bearer', parameters: expect.objectContaining({ error: 'invalid_token' }) })]));
    return { status: error.status };
  }
}

beforeAll(async () => {
  callbackBase = `http://127.0.0.1:${await freePort()}`;
  gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
  issuer = new URL(gatehouse.baseUrl);
}, 60_000);
afterAll(() => gatehouse?.close());

describe('openid-client 6, a confidential web client with client_secret_basic', () => {
  let registered: RegisteredClient;
  let config: client.Configuration;
  const redirectUri = () => `${callbackBase}/openid-client/callback`;

  beforeAll(async () => {
    registered = await register({
      client_name: 'openid-client app',
      redirect_uris: [redirectUri()],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'gatehouse reports:read',
      resources: [RESOURCE],
      skip_consent: true,
    });
    // The issuer is http://127.0.0.1:<port>: openid-client refuses plain HTTP
    // unless told, as it should in production. Here there is no TLS to offer
    // (a test on the loopback interface), so allowInsecureRequests lifts
    // only that rule; every other check of the library stays on.
    config = await client.discovery(issuer, registered.client_id, registered.client_secret, client.ClientSecretBasic(registered.client_secret), {
      execute: [client.allowInsecureRequests],
    });
  });

  it('discovers Gatehouse at /.well-known/openid-configuration: the issuer matches, PKCE S256 and RFC 9207 iss are advertised', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(gatehouse.baseUrl);
    expect(metadata.supportsPKCE('S256')).toBe(true);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.token_endpoint).toBe(`${gatehouse.baseUrl}/auth/token`);
  });

  let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
  let username: string;

  it('signs a person in through the login page; the library accepts the redirect (state, iss) and the code exchange (PKCE), and the token greets on GET /', async () => {
    const person = await newPerson();
    username = person.username;
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri(),
      scope: 'openid profile gatehouse',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
    });
    const browser = new CookieBrowser();
    const callback = await browser.authorize(authorizationUrl, redirectUri(), person);
    expect(browser.pagesSeen).toEqual(['login']);

    tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state });
    expect(callback.searchParams.get('iss')).toBe(gatehouse.baseUrl);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('openid profile gatehouse');
    expect(tokens.expiresIn()).toBeGreaterThan(0);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(decodeJwt(tokens.access_token)).toMatchObject({ iss: gatehouse.baseUrl, client_id: registered.client_id });

    const hello = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${gatehouse.baseUrl}/`), 'GET');
    expect(hello.status).toBe(200);
    expect(await hello.json()).toEqual({ message: `Hello, ${username} with ID: ${decodeJwt(tokens.access_token).sub}!` });
    // The gatehouse scope lets the token act on the account API as its person.
    const me = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${gatehouse.baseUrl}/auth/me`), 'GET');
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ username });
  });

  it('refuses, in the library, a callback whose iss is not the issuer (a mix-up, RFC 9207), and one with another state', async () => {
    const person = await newPerson();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizationUrl = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri(), scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state });
    const callback = await new CookieBrowser().authorize(authorizationUrl, redirectUri(), person);
    const mixedUp = new URL(callback);
    mixedUp.searchParams.set('iss', 'https://attacker.example');
    // openid-client wraps oauth4webapi's error, which says what it checked.
    await expect(client.authorizationCodeGrant(config, mixedUp, { pkceCodeVerifier: codeVerifier, expectedState: state })).rejects.toMatchObject({ cause: { message: expect.stringContaining('"iss"') } });
    await expect(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: 'another-state' })).rejects.toMatchObject({ cause: { message: expect.stringContaining('"state"') } });
    // Neither attempt reached the token endpoint: the code still buys tokens.
    const good = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state });
    expect(good.access_token).toEqual(expect.any(String));
  });

  it('refreshes: a new pair (rotation), the new access token greets, the old refresh token is spent', async () => {
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.scope).toBe('openid profile gatehouse');
    expect(await greeting(refreshed.access_token)).toMatchObject({ status: 200, message: expect.stringContaining(`Hello, ${username} `) });
    const narrowed = await client.refreshTokenGrant(config, refreshed.refresh_token!, { scope: 'openid' });
    expect(narrowed.scope).toBe('openid');
    tokens = narrowed;
  });

  it('client_credentials: a token of the client itself, for the resource asked (RFC 8707), that greets the client', async () => {
    const machine = await client.clientCredentialsGrant(config, { scope: 'reports:read', resource: RESOURCE });
    expect(machine.scope).toBe('reports:read');
    expect(machine.refresh_token).toBeUndefined();
    expect(decodeJwt(machine.access_token)).toMatchObject({ sub: registered.client_id, client_id: registered.client_id, aud: RESOURCE });
    const plain = await client.clientCredentialsGrant(config, { scope: 'reports:read' });
    expect(await greeting(plain.access_token)).toEqual({ status: 200, message: `Hello, client ${registered.client_id}!` });
  });

  it('introspects and revokes with client_secret_basic: active, then inactive and refused once revoked', async () => {
    const active = await client.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: registered.client_id, scope: 'openid', username });

    await client.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    expect((await greeting(tokens.access_token)).status).toBe(401);

    // The refresh token still lives (an access token's revocation ends only it); revoking it ends the login.
    expect((await client.tokenIntrospection(config, tokens.refresh_token!)).active).toBe(true);
    await client.tokenRevocation(config, tokens.refresh_token!);
    expect((await client.tokenIntrospection(config, tokens.refresh_token!)).active).toBe(false);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('oauth4webapi 3, a public client (none) and a confidential one (client_secret_post)', () => {
  let as: oauth.AuthorizationServer;
  let publicClient: oauth.Client;
  let postClient: oauth.Client;
  let postSecret: string;
  const publicRedirect = () => `${callbackBase}/spa/callback`;
  // The same reason as openid-client's allowInsecureRequests: plain HTTP on the loopback interface, no TLS to test with.
  const insecure = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    const spa = await register({
      client_name: 'A single-page app',
      redirect_uris: [publicRedirect()],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
    publicClient = { client_id: spa.client_id, token_endpoint_auth_method: 'none' };
    const service = await register({
      client_name: 'A resource server',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'reports:read',
    });
    postClient = { client_id: service.client_id, token_endpoint_auth_method: 'client_secret_post' };
    postSecret = service.client_secret!;
    // RFC 8414's own path this time (.well-known/oauth-authorization-server), which processDiscoveryResponse checks against the issuer.
    as = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }).then((response) => oauth.processDiscoveryResponse(issuer, response));
  });

  it('discovers the same metadata at the RFC 8414 path', () => {
    expect(as.issuer).toBe(gatehouse.baseUrl);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'client_secret_basic', 'client_secret_post']));
  });

  let spaTokens: oauth.TokenEndpointResponse;
  let username: string;

  it('a public client: login and consent pages, validateAuthResponse (iss, state), code exchange with none and PKCE; the token greets', async () => {
    const person = await newPerson();
    username = person.username;
    const { authorizationUrl, codeVerifier, state } = await authorizationRequest(as, publicClient.client_id, publicRedirect(), 'openid profile');
    const browser = new CookieBrowser();
    const callback = await browser.authorize(authorizationUrl, publicRedirect(), person);
    // Not first-party: the person is asked, and allows.
    expect(browser.pagesSeen).toEqual(['login', 'consent']);

    const parameters = oauth.validateAuthResponse(as, publicClient, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, publicClient, oauth.None(), parameters, publicRedirect(), codeVerifier, insecure);
    spaTokens = await oauth.processAuthorizationCodeResponse(as, publicClient, response);
    expect(spaTokens).toMatchObject({ token_type: 'bearer', scope: 'openid profile', refresh_token: expect.any(String) });
    expect(await greeting(spaTokens.access_token)).toEqual({ status: 200, message: `Hello, ${username} with ID: ${decodeJwt(spaTokens.access_token).sub}!` });

    // A second authorization in the same browser: single sign-on and the remembered consent, no page at all.
    const again = new URL(authorizationUrl);
    again.searchParams.set('state', 'second-state');
    const pagesBefore = browser.pagesSeen.length;
    const secondCallback = await browser.authorize(again, publicRedirect(), person);
    expect(browser.pagesSeen.length).toBe(pagesBefore);
    expect(oauth.validateAuthResponse(as, publicClient, secondCallback, 'second-state').get('code')).toEqual(expect.any(String));
  });

  it('a public client may not introspect (RFC 7662 §2.1: anyone can send its client_id), not even its own token; nor may the built-in gatehouse-docs', async () => {
    const introspection = await oauth.introspectionRequest(as, publicClient, oauth.None(), spaTokens.access_token, insecure);
    expect(introspection.status).toBe(401);
    expect(await introspection.json()).toMatchObject({ error: 'invalid_client' });
    const docs = await fetch(as.introspection_endpoint!, { method: 'POST', body: new URLSearchParams({ token: spaTokens.access_token, client_id: 'gatehouse-docs' }) });
    expect(docs.status).toBe(401);
    expect(await docs.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('refreshes a public client with none, and revokes its refresh token with none: the login ends', async () => {
    const response = await oauth.refreshTokenGrantRequest(as, publicClient, oauth.None(), spaTokens.refresh_token!, insecure);
    const refreshed = await oauth.processRefreshTokenResponse(as, publicClient, response);
    expect(refreshed.refresh_token).not.toBe(spaTokens.refresh_token);
    expect((await greeting(refreshed.access_token)).status).toBe(200);

    const revocation = await oauth.revocationRequest(as, publicClient, oauth.None(), refreshed.refresh_token!, insecure);
    await oauth.processRevocationResponse(revocation);
    // The access tokens of that login go with it (RFC 7009 §2.1 allows it; Gatehouse's sessions do it).
    expect((await greeting(refreshed.access_token)).status).toBe(401);
    const spent = await oauth.refreshTokenGrantRequest(as, publicClient, oauth.None(), refreshed.refresh_token!, insecure);
    await expect(oauth.processRefreshTokenResponse(as, publicClient, spent)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a confidential client with client_secret_post: client_credentials, then introspection and revocation of its token', async () => {
    const auth = oauth.ClientSecretPost(postSecret);
    const response = await oauth.clientCredentialsGrantRequest(as, postClient, auth, {}, insecure);
    const machine = await oauth.processClientCredentialsResponse(as, postClient, response);
    expect(machine).toMatchObject({ token_type: 'bearer', scope: 'reports:read' });
    expect(await greeting(machine.access_token)).toEqual({ status: 200, message: `Hello, client ${postClient.client_id}!` });

    const introspect = async (token: string) => oauth.processIntrospectionResponse(as, postClient, await oauth.introspectionRequest(as, postClient, auth, token, insecure));
    expect(await introspect(machine.access_token)).toMatchObject({ active: true, client_id: postClient.client_id, sub: postClient.client_id, scope: 'reports:read' });
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, postClient, auth, machine.access_token, insecure));
    expect(await introspect(machine.access_token)).toEqual({ active: false });
    expect((await greeting(machine.access_token)).status).toBe(401);

    // A wrong secret: 401 invalid_client. HTTP requires a challenge on every 401 (RFC 9110 §15.5.2), and
    // oauth4webapi reports any challenge as a WWWAuthenticateChallengeError, the body still there to read.
    const wrong = await oauth.clientCredentialsGrantRequest(as, postClient, oauth.ClientSecretPost('not-the-secret'), {}, insecure);
    const refusal = await oauth.processClientCredentialsResponse(as, postClient, wrong).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect((refusal as oauth.WWWAuthenticateChallengeError).status).toBe(401);
    expect(await (refusal as oauth.WWWAuthenticateChallengeError).response.json()).toMatchObject({ error: 'invalid_client' });
  });
});
