import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../src/sessions/entities/session.entity.js';
import { User } from '../src/users/entities/user.entity.js';
import { basic } from './helpers/app.js';
import { CookieBrowser } from './helpers/cookie-browser.js';
import { formOf } from './helpers/hosted-login.js';
import { createListeningApp, freePort, type ListeningApp } from './helpers/listening-app.js';

/**
 * OpenID Connect (issue 26): every id token Gatehouse issues through the real
 * code flow is validated by panva's certified client libraries, openid-client
 * 6 and oauth4webapi 3 — iss, aud, exp, nonce, and the signature from
 * jwks_uri (their non-repudiation checks) — on the code exchange, on a
 * refresh and across a key rotation; `at_hash` (which neither checks on a
 * token response) is computed here as OIDC Core §3.1.3.6 says. Then userinfo,
 * prompt / max_age / login_hint, discovery, and id tokens refused where an
 * access token is expected.
 */
let gatehouse: ListeningApp;
let issuer: URL;
let callbackBase: string;
const ADMIN = { username: 'oidc-admin', password: 'oidc-keeper-of-clients-1' };
const PASSWORD = 'oidc-person-password-1';
const asAdmin = basic(ADMIN.username, ADMIN.password);

beforeAll(async () => {
  callbackBase = `http://127.0.0.1:${await freePort()}`;
  // A rotated key signs 3 s after it is published.
  gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, KEY_PUBLISH_AHEAD: '3s' });
  issuer = new URL(gatehouse.baseUrl);
}, 60_000);
afterAll(() => gatehouse?.close());

async function register(body: object): Promise<{ client_id: string; client_secret?: string }> {
  const response = await fetch(`${gatehouse.baseUrl}/clients`, { method: 'POST', headers: { authorization: asAdmin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(201);
  return (await response.json()) as { client_id: string; client_secret?: string };
}

let people = 0;
/** A person with an e-mail address, verified unless said. */
async function newPerson(verified = true): Promise<{ id: number; username: string; password: string; email: string }> {
  const username = `oidc-person-${++people}`;
  const email = `${username}@example.com`;
  const response = await fetch(`${gatehouse.baseUrl}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD, email }) });
  expect(response.status).toBe(201);
  const { id } = (await response.json()) as { id: number };
  if (verified) await gatehouse.app.get(DataSource).getRepository(User).update({ id }, { emailVerifiedAt: new Date() });
  return { id, username, password: PASSWORD, email };
}

/** OIDC Core §3.1.3.6, independently of the server's code: the left half of SHA-256 (RS256) of the access token, base64url. */
const atHash = (accessToken: string) => createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
const jwks = async () => (await (await fetch(`${gatehouse.baseUrl}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('openid-client 6: a confidential client, id tokens validated with the signature from jwks_uri', () => {
  let registered: { client_id: string; client_secret?: string };
  let config: client.Configuration;
  const redirectUri = () => `${callbackBase}/oidc/callback`;

  /** A configuration fresh from discovery, with its own JWKS cache, checking id token signatures (enableNonRepudiationChecks). */
  async function discover(): Promise<client.Configuration> {
    const discovered = await client.discovery(issuer, registered.client_id, registered.client_secret, client.ClientSecretBasic(registered.client_secret!), { execute: [client.allowInsecureRequests] });
    client.enableNonRepudiationChecks(discovered);
    return discovered;
  }

  /** The code flow through the hosted login, with a nonce; the library checks state, iss, PKCE, and the id token (nonce, iss, aud, exp, signature). */
  async function codeFlow(person: { username: string; password: string }, scope: string, configuration = config, browser = new CookieBrowser(), extra: Record<string, string> = {}) {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(configuration, { redirect_uri: redirectUri(), scope, code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state, nonce, ...extra });
    const callback = await browser.authorize(url, redirectUri(), person);
    const tokens = await client.authorizationCodeGrant(configuration, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, ...(extra.max_age ? { maxAge: Number(extra.max_age) } : {}) });
    return { tokens, nonce, browser };
  }

  beforeAll(async () => {
    registered = await register({
      client_name: 'An OpenID Connect web app',
      redirect_uris: [redirectUri()],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'reports:read',
      skip_consent: true,
    });
    config = await discover();
  });

  let person: Awaited<ReturnType<typeof newPerson>>;
  let first: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
  let firstClaims: JWTPayload;

  it('code exchange: an id token with iss, sub, aud = azp = client_id, exp, iat, auth_time, nonce, at_hash, sid, amr and the profile and email claims', async () => {
    person = await newPerson();
    const before = Math.floor(Date.now() / 1000);
    const { tokens, nonce } = await codeFlow(person, 'openid profile email offline_access');
    first = tokens;
    expect(tokens.id_token).toEqual(expect.any(String));
    const claims = tokens.claims()!;
    firstClaims = claims;
    expect(decodeProtectedHeader(tokens.id_token!)).toEqual({ alg: 'RS256', kid: (await jwks()).keys[0].kid, typ: 'JWT' });
    expect(claims).toMatchObject({
      iss: gatehouse.baseUrl,
      sub: String(person.id),
      aud: registered.client_id,
      azp: registered.client_id,
      nonce,
      at_hash: atHash(tokens.access_token),
      amr: ['pwd'],
      preferred_username: person.username,
      email: person.email,
      email_verified: true,
      sid: expect.any(String),
    });
    expect(claims.auth_time).toBeGreaterThanOrEqual(before - 1);
    expect(claims.iat).toBeGreaterThanOrEqual(before - 1);
    // It lives as long as the access token beside it (a second apart at most: two signatures).
    expect(Math.abs(claims.exp! - claims.iat! - tokens.expires_in!)).toBeLessThanOrEqual(1);
    // sid is the browser session the client's session grew from (back-channel logout tokens name the same).
    const session = await gatehouse.app.get(DataSource).getRepository(Session).findOneByOrFail({ id: decodeJwt(tokens.access_token).sid as string });
    expect(session.parentId).toBe(claims.sid);
    expect(await gatehouse.app.get(DataSource).getRepository(Session).findOneByOrFail({ id: claims.sid as string })).toMatchObject({ kind: 'browser' });
    // jose alone, from the published key set: the id token and the access token are two different tokens, both verifiable.
    await jwtVerify(tokens.id_token!, createLocalJWKSet(await jwks()), { issuer: gatehouse.baseUrl, audience: registered.client_id, algorithms: ['RS256'] });
  });

  it('refuses, in the library, an id token whose nonce is not the one sent', async () => {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri(), scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state, nonce: 'the-nonce-sent' });
    const callback = await new CookieBrowser().authorize(url, redirectUri(), await newPerson());
    await expect(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: 'another-nonce' })).rejects.toMatchObject({ cause: { message: expect.stringContaining('nonce') } });
  });

  it('no id token without openid; the profile claims only with profile, the email ones only with email', async () => {
    const plain = await codeFlow(await newPerson(), 'reports:read').catch((error: unknown) => error);
    // Without openid an OAuth response: the library was told to expect a nonce, but there is no id token at all.
    expect(plain).toBeInstanceOf(Error);
    const someone = await newPerson(false);
    const { tokens } = await codeFlow(someone, 'openid email');
    expect(tokens.claims()).toMatchObject({ email: someone.email, email_verified: false });
    expect(tokens.claims()).not.toHaveProperty('preferred_username');
    const { tokens: profileOnly } = await codeFlow(someone, 'openid profile');
    expect(profileOnly.claims()).toMatchObject({ preferred_username: someone.username });
    expect(profileOnly.claims()).not.toHaveProperty('email');
  });

  it('refresh (OIDC Core §12.2): a new id token with the same iss, sub, aud, azp, auth_time and sid, a new iat, the new at_hash, no nonce', async () => {
    await sleep(1100);
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(refreshed.id_token).toEqual(expect.any(String));
    const claims = refreshed.claims()!;
    for (const name of ['iss', 'sub', 'aud', 'azp', 'auth_time', 'sid', 'amr', 'preferred_username', 'email']) expect(claims[name]).toEqual(firstClaims[name]);
    expect(claims.iat).toBeGreaterThan(firstClaims.iat!);
    expect(claims.at_hash).toBe(atHash(refreshed.access_token));
    expect(claims).not.toHaveProperty('nonce');
    first = refreshed;
    // A refresh that narrows the scope to one without openid gets no id token.
    const narrowed = await client.refreshTokenGrant(config, refreshed.refresh_token!, { scope: 'offline_access' });
    expect(narrowed.id_token).toBeUndefined();
    first = narrowed;
  });

  it('a key rotation: the new key is published before it signs, the client takes it from jwks_uri, and id tokens of both keys verify', async () => {
    const oldKid = (await jwks()).keys.at(-1)!.kid;
    const rotated = await fetch(`${gatehouse.baseUrl}/keys/rotate`, { method: 'POST', headers: { authorization: asAdmin } });
    expect(rotated.status).toBe(201);
    const newKid = ((await rotated.json()) as { kid: string }).kid;
    // A client that fetches the key set now (its first validation) finds both keys: the old one still signs.
    const fresh = await discover();
    const before = await codeFlow(await newPerson(), 'openid', fresh);
    expect(decodeProtectedHeader(before.tokens.id_token!).kid).toBe(oldKid);
    expect((await jwks()).keys.map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    await sleep(3200);
    // The new key signs; the client verifies it from the key set it already holds, and a client that never fetched one fetches it.
    const after = await codeFlow(await newPerson(), 'openid profile offline_access', fresh);
    expect(decodeProtectedHeader(after.tokens.id_token!).kid).toBe(newKid);
    const late = await discover();
    const refreshed = await client.refreshTokenGrant(late, after.tokens.refresh_token!);
    expect(decodeProtectedHeader(refreshed.id_token!).kid).toBe(newKid);
    expect(refreshed.claims()!.at_hash).toBe(atHash(refreshed.access_token));
    // The first configuration fetched its key set before the rotation, under a minute ago: oauth4webapi fetches again for an unknown kid only after 60 s
    // (KEY_PUBLISH_AHEAD, 10 minutes by default, exceeds its 5-minute cache). The tests below use the client that fetched after the publication.
    config = fresh;
  });

  describe('an id token is no access token', () => {
    it('is refused as a Bearer token (401 invalid_token) and introspects as inactive', async () => {
      const { tokens } = await codeFlow(await newPerson(), 'openid profile');
      for (const path of ['/', '/auth/userinfo']) {
        const response = await fetch(`${gatehouse.baseUrl}${path}`, { headers: { authorization: `Bearer ${tokens.id_token}` } });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
      }
      expect(await client.tokenIntrospection(config, tokens.id_token!)).toEqual({ active: false });
      expect(await client.tokenIntrospection(config, tokens.id_token!, { token_type_hint: 'access_token' })).toEqual({ active: false });
      // Its access token, for contrast, is active.
      expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    });
  });

  describe('userinfo (OIDC Core §5.3)', () => {
    it('is advertised, and answers GET and POST with sub and the claims of the scopes; never cached', async () => {
      expect(config.serverMetadata().userinfo_endpoint).toBe(`${gatehouse.baseUrl}/auth/userinfo`);
      const someone = await newPerson();
      const { tokens } = await codeFlow(someone, 'openid profile email');
      const sub = tokens.claims()!.sub;
      // openid-client checks the answer's sub against the id token's.
      expect(await client.fetchUserInfo(config, tokens.access_token, sub)).toEqual({ sub, preferred_username: someone.username, email: someone.email, email_verified: true });
      const posted = await fetch(`${gatehouse.baseUrl}/auth/userinfo`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(posted.status).toBe(200);
      expect(posted.headers.get('cache-control')).toBe('no-store');
      expect(await posted.json()).toEqual({ sub, preferred_username: someone.username, email: someone.email, email_verified: true });
      const got = await fetch(`${gatehouse.baseUrl}/auth/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(got.headers.get('cache-control')).toBe('no-store');
      const { tokens: openidOnly } = await codeFlow(someone, 'openid');
      expect(await client.fetchUserInfo(config, openidOnly.access_token, sub)).toEqual({ sub });
    });

    it('401 with Bearer error="invalid_token" for a bad token; 401 with a Bearer challenge for none', async () => {
      for (const init of [{ headers: { authorization: 'Bearer not-a-token' } }, { method: 'POST', headers: { authorization: 'Bearer not-a-token' } }]) {
        const response = await fetch(`${gatehouse.baseUrl}/auth/userinfo`, init);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
      }
      // RFC 6750 §3.1: a request without credentials gets the challenge without an error code.
      const none = await fetch(`${gatehouse.baseUrl}/auth/userinfo`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse"/);
    });

    it('403 insufficient_scope for a token without openid, a client_credentials token, Basic', async () => {
      // The code flow without openid (and without a nonce, so the library expects no id token).
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri(), scope: 'profile email', code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state });
      const withoutOpenid = await client.authorizationCodeGrant(config, await new CookieBrowser().authorize(url, redirectUri(), await newPerson()), { pkceCodeVerifier: codeVerifier, expectedState: state });
      expect(withoutOpenid.id_token).toBeUndefined();
      const machine = await client.clientCredentialsGrant(config, { scope: 'reports:read' });
      for (const authorization of [`Bearer ${withoutOpenid.access_token}`, `Bearer ${machine.access_token}`, asAdmin]) {
        for (const method of ['GET', 'POST']) {
          const response = await fetch(`${gatehouse.baseUrl}/auth/userinfo`, { method, headers: { authorization } });
          expect(response.status).toBe(403);
          expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="insufficient_scope"');
          expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
        }
      }
    });
  });

  describe('prompt, max_age and login_hint (OIDC Core §3.1.2.1)', () => {
    it('single sign-on by default; max_age=0 and prompt=login ask for the password again, and auth_time and sid follow the new login', async () => {
      const someone = await newPerson();
      const browser = new CookieBrowser();
      const { tokens } = await codeFlow(someone, 'openid', config, browser);
      const firstLogin = tokens.claims()!;
      await sleep(1100);
      const again = await codeFlow(someone, 'openid', config, browser);
      expect(browser.pagesSeen).toEqual(['login']);
      expect(again.tokens.claims()).toMatchObject({ auth_time: firstLogin.auth_time, sid: firstLogin.sid });

      const forced = await codeFlow(someone, 'openid', config, browser, { max_age: '0' });
      expect(browser.pagesSeen).toEqual(['login', 'login']);
      const relogin = forced.tokens.claims()!;
      expect(relogin.auth_time).toBeGreaterThan(firstLogin.auth_time!);
      expect(relogin.sid).not.toBe(firstLogin.sid);

      await sleep(1100);
      const prompted = await codeFlow(someone, 'openid', config, browser, { prompt: 'login' });
      expect(browser.pagesSeen).toEqual(['login', 'login', 'login']);
      expect(prompted.tokens.claims()!.auth_time).toBeGreaterThan(relogin.auth_time!);

      // A max_age the login is within: no page, and auth_time is there for the library to check (it requires it with maxAge).
      const within = await codeFlow(someone, 'openid', config, browser, { max_age: '3600' });
      expect(browser.pagesSeen).toHaveLength(3);
      expect(within.tokens.claims()!.auth_time).toBe(prompted.tokens.claims()!.auth_time);
    });

    it('prompt=none without a login: login_required at the redirect URI; login_hint fills in the username', async () => {
      const codeVerifier = client.randomPKCECodeVerifier();
      const base = { redirect_uri: redirectUri(), scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state: 'a-state' };
      const none = await new CookieBrowser().request(client.buildAuthorizationUrl(config, { ...base, prompt: 'none' }));
      expect(none.status).toBe(303);
      const location = new URL(none.headers.get('location')!);
      expect(Object.fromEntries(location.searchParams)).toMatchObject({ error: 'login_required', state: 'a-state', iss: gatehouse.baseUrl });
      const hinted = await new CookieBrowser().request(client.buildAuthorizationUrl(config, { ...base, login_hint: 'someone-"hinted"' }));
      const html = await hinted.text();
      expect(html).toContain('name="username" type="text" value="someone-&quot;hinted&quot;"');
      expect(formOf(html).fields.login_hint).toBe('someone-"hinted"');
    });
  });
});

describe('oauth4webapi 3: a public client, the id token checked with validateApplicationLevelSignature', () => {
  let as: oauth.AuthorizationServer;
  let spa: oauth.Client;
  const redirectUri = () => `${callbackBase}/spa/callback`;
  const insecure = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    const registered = await register({ client_name: 'An OpenID Connect SPA', redirect_uris: [redirectUri()], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' });
    spa = { client_id: registered.client_id, token_endpoint_auth_method: 'none' };
    as = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }).then((response) => oauth.processDiscoveryResponse(issuer, response));
  });

  it('discovery: OpenID Connect Discovery 1.0 §3 REQUIRED fields, and the contract’s that exist', () => {
    for (const field of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported']) expect(as[field]).toBeDefined();
    expect(as).toMatchObject({
      issuer: gatehouse.baseUrl,
      userinfo_endpoint: `${gatehouse.baseUrl}/auth/userinfo`,
      revocation_endpoint: `${gatehouse.baseUrl}/auth/revoke`,
      introspection_endpoint: `${gatehouse.baseUrl}/auth/introspect`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      // The truth: the key store's one algorithm (RS256 by default).
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    });
    expect(as.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']));
    expect(as.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(as.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'client_secret_basic', 'client_secret_post']));
    expect(as.claims_supported).toEqual(['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sid', 'amr', 'azp', 'preferred_username', 'email', 'email_verified']);
  });

  it('code exchange and refresh: nonce, iss, aud, exp checked by processAuthorizationCodeResponse, the signature from jwks_uri', async () => {
    const someone = await newPerson();
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: spa.client_id, redirect_uri: redirectUri(), response_type: 'code', scope: 'openid profile', code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state, nonce }).toString();
    const parameters = oauth.validateAuthResponse(as, spa, await new CookieBrowser().authorize(url, redirectUri(), someone), state);
    const response = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), parameters, redirectUri(), codeVerifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, spa, response, { expectedNonce: nonce, requireIdToken: true });
    await oauth.validateApplicationLevelSignature(as, response, insecure);
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(claims).toMatchObject({ sub: String(someone.id), nonce, aud: spa.client_id, at_hash: atHash(tokens.access_token), preferred_username: someone.username });

    const refreshResponse = await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token!, insecure);
    const refreshed = await oauth.processRefreshTokenResponse(as, spa, refreshResponse);
    await oauth.validateApplicationLevelSignature(as, refreshResponse, insecure);
    const again = oauth.getValidatedIdTokenClaims(refreshed)!;
    expect(again).toMatchObject({ sub: claims.sub, aud: claims.aud, auth_time: claims.auth_time, sid: claims.sid, at_hash: atHash(refreshed.access_token) });
    expect(again.nonce).toBeUndefined();
  });
});
