import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './helpers/app.js';
import { CookieBrowser } from './helpers/cookie-browser.js';
import { createListeningApp, freePort, type ListeningApp } from './helpers/listening-app.js';
import { createSharedDatabase, onPostgres } from './helpers/postgres.js';
import { REDIS_URL, redisSkipReason } from './helpers/redis.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * DPoP (RFC 9449) driven by oauth4webapi 3's DPoP handles: sender-constrained
 * tokens from the code flow (public client, PKCE), their use on Gatehouse's
 * own routes (`Authorization: DPoP` + proof with `ath`), introspection's
 * `cnf`, bound refresh tokens and codes (`dpop_jkt`, PAR), server nonces,
 * and every proof that must fail — also a replay across two instances.
 */
const ADMIN = { username: 'dpop-admin', password: 'dpop-keeper-of-clients-1' };
const PASSWORD = 'dpop-person-password-1';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let shared: { url: string; drop: () => Promise<void> };
let gatehouse: ListeningApp;
let callbackBase: string;
const redirectUri = () => `${callbackBase}/dpop/callback`;

interface ProofKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

async function proofKey(alg: 'ES256' | 'EdDSA' | 'RS256' = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A proof made by hand, for what a library would never send. */
async function proof(key: ProofKey, htm: string, htu: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ jti: randomUUID(), htm, htu, ...claims })
    .setProtectedHeader({ alg: key.jwk.kty === 'OKP' ? 'EdDSA' : key.jwk.kty === 'RSA' ? 'RS256' : 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...header })
    .setIssuedAt(typeof claims.iat === 'number' ? claims.iat : Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}

async function register(app: ListeningApp, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${app.baseUrl}/clients`, {
    method: 'POST',
    headers: { authorization: basic(ADMIN.username, ADMIN.password), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Record<string, unknown>;
}

let people = 0;
async function newPerson(app: ListeningApp): Promise<{ username: string; password: string }> {
  const username = `dpop-person-${++people}-${randomUUID().slice(0, 6)}`;
  const response = await fetch(`${app.baseUrl}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  expect(response.status).toBe(201);
  return { username, password: PASSWORD };
}

async function discover(app: ListeningApp): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(app.baseUrl);
  return oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }).then((response) => oauth.processDiscoveryResponse(issuer, response));
}

/** The person logs in and consents in a browser; the authorization response's parameters come back, with the PKCE verifier. */
async function authorize(app: ListeningApp, as: oauth.AuthorizationServer, client: oauth.Client, extra: Record<string, string> = {}): Promise<{ parameters: URLSearchParams; codeVerifier: string }> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: 'openid profile',
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state: 'dpop-state',
    ...extra,
  }).toString();
  const callback = await new CookieBrowser().authorize(url, redirectUri(), await newPerson(app));
  return { parameters: oauth.validateAuthResponse(as, client, callback, 'dpop-state'), codeVerifier };
}

/** oauth4webapi's request, retried once when the server asks for its nonce (the handle has cached it from DPoP-Nonce). */
async function withNonceRetry<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return call();
  }
}

async function userinfo(app: ListeningApp, authorization: string, dpop?: string): Promise<Response> {
  return fetch(`${app.baseUrl}/auth/userinfo`, { headers: { authorization, ...(dpop ? { dpop } : {}) } });
}

beforeAll(async () => {
  callbackBase = `http://127.0.0.1:${await freePort()}`;
  shared = await createSharedDatabase();
  gatehouse = await createListeningApp({ DATABASE_URL: shared.url, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
}, 60_000);
afterAll(async () => {
  await gatehouse?.close();
  await shared?.drop();
});

describe('DPoP (RFC 9449)', () => {
  let as: oauth.AuthorizationServer;
  let spa: oauth.Client;
  let resourceServer: { client_id: string; client_secret: string };

  beforeAll(async () => {
    as = await discover(gatehouse);
    const registered = await register(gatehouse, {
      client_name: 'A DPoP single-page app',
      redirect_uris: [redirectUri()],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      skip_consent: true,
    });
    spa = { client_id: registered.client_id as string, token_endpoint_auth_method: 'none' };
    const rs = await register(gatehouse, { client_name: 'A DPoP resource server', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' });
    resourceServer = { client_id: rs.client_id as string, client_secret: rs.client_secret as string };
  });

  const introspect = async (token: string) => {
    const client: oauth.Client = { client_id: resourceServer.client_id };
    return oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(resourceServer.client_secret), token, insecure));
  };

  /** The code flow of the SPA with a DPoP key pair: its handle, thumbprint and tokens. */
  async function dpopCodeFlow(extra: Record<string, string> = {}) {
    const keyPair = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP(spa, keyPair);
    const { parameters, codeVerifier } = await authorize(gatehouse, as, spa, extra);
    const tokens = await withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(as, spa, await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), parameters, redirectUri(), codeVerifier, { DPoP: dpop, ...insecure })),
    );
    return { keyPair, dpop, jkt: await dpop.calculateThumbprint(), tokens };
  }

  it('is advertised in discovery with the proof algorithms', () => {
    expect(as.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256', 'PS256', 'EdDSA']));
    expect(as.dpop_signing_alg_values_supported).not.toContain('HS256');
  });

  it('code flow with PKCE and DPoP: a DPoP token, cnf.jkt in introspection, usable with DPoP on userinfo, refused as Bearer', async () => {
    const { dpop, jkt, tokens } = await dpopCodeFlow();
    expect(tokens.token_type).toBe('dpop');
    const introspection = await introspect(tokens.access_token);
    expect(introspection).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });

    const response = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${gatehouse.baseUrl}/auth/userinfo`), new Headers(), null, { DPoP: dpop, ...insecure });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { sub: string }).sub).toEqual(expect.any(String));

    const asBearer = await userinfo(gatehouse, `Bearer ${tokens.access_token}`);
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP realm="gatehouse", error="invalid_token", algs="[^"]*ES256/);
    // The same token as DPoP without a proof: refused too.
    const noProof = await userinfo(gatehouse, `DPoP ${tokens.access_token}`);
    expect(noProof.status).toBe(401);
    expect(noProof.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
  });

  it('a proof is single-use; one of another key, for another token (ath), method or URL is refused', async () => {
    // Another DPoP token, for an ath that is not this token's.
    const { tokens } = await dpopCodeFlow();
    // Proofs made by hand need a key the test holds: a token bound to it (client_credentials).
    const key = await proofKey();
    const bound = await boundTokenFor(key);
    const url = `${gatehouse.baseUrl}/auth/introspect`;
    // Introspection: a route of Gatehouse's own that a client's token may call (userinfo needs a person).
    const call = async (dpop: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `DPoP ${bound}`, dpop }, body: new URLSearchParams({ token: bound }) });
    const once = await proof(key, 'POST', url, { ath: ath(bound) });
    expect((await call(once)).status).toBe(200);
    const replay = await call(once);
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
    expect(((await replay.json()) as { message: string }).message).toContain('already used');

    const other = await proofKey();
    expect((await call(await proof(other, 'POST', url, { ath: ath(bound) }))).status).toBe(401);
    expect((await call(await proof(key, 'POST', url, { ath: ath(tokens.access_token) }))).status).toBe(401);
    expect((await call(await proof(key, 'POST', url))).status).toBe(401);
    expect((await call(await proof(key, 'GET', url, { ath: ath(bound) }))).status).toBe(401);
    expect((await call(await proof(key, 'POST', `${gatehouse.baseUrl}/auth/revoke`, { ath: ath(bound) }))).status).toBe(401);
    expect((await call(await proof(key, 'POST', url, { ath: ath(bound), iat: Math.floor(Date.now() / 1000) - 600 }))).status).toBe(401);
    // The query is not part of htu (§4.3).
    expect((await call(await proof(key, 'POST', `${url}?x=1`, { ath: ath(bound) }))).status).toBe(200);
    // typ other than dpop+jwt, and a private key in the header.
    expect((await call(await proof(key, 'POST', url, { ath: ath(bound) }, { typ: 'JWT' }))).status).toBe(401);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    expect((await call(await proof(key, 'POST', url, { ath: ath(bound) }, { jwk: await exportJWK(privateKey) }))).status).toBe(401);
  });

  /** A client_credentials token bound to a key the test holds, through a hand-made proof at the token endpoint. */
  async function boundTokenFor(key: ProofKey): Promise<string> {
    const response = await fetch(`${gatehouse.baseUrl}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(resourceServer.client_id, resourceServer.client_secret), dpop: await proof(key, 'POST', `${gatehouse.baseUrl}/auth/token`) },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    const body = (await response.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('DPoP');
    return body.access_token;
  }

  it('client_credentials with a proof: a DPoP token whose cnf.jkt is the proof key', async () => {
    const key = await proofKey('EdDSA');
    const token = await boundTokenFor(key);
    expect(await introspect(token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
    // Its own routes: introspection with the bound token as a DPoP client credential.
    const response = await fetch(`${gatehouse.baseUrl}/auth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `DPoP ${token}`, dpop: await proof(key, 'POST', `${gatehouse.baseUrl}/auth/introspect`, { ath: ath(token) }) },
      body: new URLSearchParams({ token }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ active: true, cnf: { jkt: key.jkt } });
  });

  it('the token endpoint refuses an invalid proof with 400 invalid_dpop_proof', async () => {
    const key = await proofKey();
    const send = async (dpop: string) =>
      fetch(`${gatehouse.baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(resourceServer.client_id, resourceServer.client_secret), dpop },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
    for (const bad of [
      await proof(key, 'GET', `${gatehouse.baseUrl}/auth/token`),
      await proof(key, 'POST', `${gatehouse.baseUrl}/auth/revoke`),
      await proof(key, 'POST', `${gatehouse.baseUrl}/auth/token`, {}, { alg: 'HS256' }).catch(() => 'not.a.jwt'),
      'garbage',
    ]) {
      const response = await send(bad);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    }
    const once = await proof(key, 'POST', `${gatehouse.baseUrl}/auth/token`);
    expect((await send(once)).status).toBe(200);
    expect(await (await send(once)).json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('a public client’s refresh token is bound to the key: refreshing needs a proof of the same key', async () => {
    const { dpop, jkt, tokens } = await dpopCodeFlow();
    const other = oauth.DPoP(spa, await oauth.generateKeyPair('ES256'));
    const refresh = (handle?: oauth.DPoPHandle) => oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token!, { ...(handle ? { DPoP: handle } : {}), ...insecure });
    await expect(oauth.processRefreshTokenResponse(as, spa, await refresh(other))).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oauth.processRefreshTokenResponse(as, spa, await refresh())).rejects.toMatchObject({ error: 'invalid_grant' });
    // Refused, the token was not spent: its owner refreshes with the key.
    const refreshed = await oauth.processRefreshTokenResponse(as, spa, await refresh(dpop));
    expect(refreshed.token_type).toBe('dpop');
    expect(await introspect(refreshed.access_token)).toMatchObject({ active: true, cnf: { jkt } });
  });

  it('a confidential client’s refresh token is not bound, and a proof on the refresh binds the new access token', async () => {
    const registered = await register(gatehouse, { client_name: 'A DPoP web app', redirect_uris: [redirectUri()], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_basic', skip_consent: true });
    const web: oauth.Client = { client_id: registered.client_id as string };
    const auth = oauth.ClientSecretBasic(registered.client_secret as string);
    const dpop = oauth.DPoP(web, await oauth.generateKeyPair('ES256'));
    const { parameters, codeVerifier } = await authorize(gatehouse, as, web);
    const tokens = await oauth.processAuthorizationCodeResponse(as, web, await oauth.authorizationCodeGrantRequest(as, web, auth, parameters, redirectUri(), codeVerifier, { DPoP: dpop, ...insecure }));
    expect(tokens.token_type).toBe('dpop');
    const plain = await oauth.processRefreshTokenResponse(as, web, await oauth.refreshTokenGrantRequest(as, web, auth, tokens.refresh_token!, insecure));
    expect(plain.token_type).toBe('bearer');
    const other = oauth.DPoP(web, await oauth.generateKeyPair('ES256'));
    const rebound = await oauth.processRefreshTokenResponse(as, web, await oauth.refreshTokenGrantRequest(as, web, auth, plain.refresh_token!, { DPoP: other, ...insecure }));
    expect(await introspect(rebound.access_token)).toMatchObject({ token_type: 'DPoP', cnf: { jkt: await other.calculateThumbprint() } });
  });

  it('a code bound with dpop_jkt is refused with another key (and stays unspent for the right one)', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP(spa, keyPair);
    const { parameters, codeVerifier } = await authorize(gatehouse, as, spa, { dpop_jkt: await dpop.calculateThumbprint() });
    const exchange = (handle?: oauth.DPoPHandle) => oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), parameters, redirectUri(), codeVerifier, { ...(handle ? { DPoP: handle } : {}), ...insecure });
    await expect(oauth.processAuthorizationCodeResponse(as, spa, await exchange(oauth.DPoP(spa, await oauth.generateKeyPair('ES256'))))).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oauth.processAuthorizationCodeResponse(as, spa, await exchange())).rejects.toMatchObject({ error: 'invalid_grant' });
    const tokens = await oauth.processAuthorizationCodeResponse(as, spa, await exchange(dpop));
    expect(tokens.token_type).toBe('dpop');
  });

  it('a malformed dpop_jkt goes back to the redirect URI as invalid_request', async () => {
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: spa.client_id, redirect_uri: redirectUri(), response_type: 'code', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', dpop_jkt: 'short' }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('a DPoP proof on the pushed request binds the code to its key (RFC 9449 §10.1)', async () => {
    const dpop = oauth.DPoP(spa, await oauth.generateKeyPair('ES256'));
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      spa,
      await oauth.pushedAuthorizationRequest(
        as,
        spa,
        oauth.None(),
        new URLSearchParams({ redirect_uri: redirectUri(), response_type: 'code', scope: 'openid', code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state: 'dpop-state' }),
        { DPoP: dpop, ...insecure },
      ),
    );
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: spa.client_id, request_uri: pushed.request_uri }).toString();
    const parameters = oauth.validateAuthResponse(as, spa, await new CookieBrowser().authorize(url, redirectUri(), await newPerson(gatehouse)), 'dpop-state');
    const exchange = (handle: oauth.DPoPHandle) => oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), parameters, redirectUri(), codeVerifier, { DPoP: handle, ...insecure });
    await expect(oauth.processAuthorizationCodeResponse(as, spa, await exchange(oauth.DPoP(spa, await oauth.generateKeyPair('ES256'))))).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oauth.processAuthorizationCodeResponse(as, spa, await exchange(dpop))).token_type).toBe('dpop');
  });

  it('a client registered with dpop_bound_access_tokens must send a proof', async () => {
    const registered = await register(gatehouse, { client_name: 'Always DPoP', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', dpop_bound_access_tokens: true });
    expect(registered.dpop_bound_access_tokens).toBe(true);
    const send = async (headers: Record<string, string>) =>
      fetch(`${gatehouse.baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(registered.client_id as string, registered.client_secret as string), ...headers },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
    const without = await send({});
    expect(without.status).toBe(400);
    expect(await without.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const key = await proofKey();
    expect(await (await send({ dpop: await proof(key, 'POST', `${gatehouse.baseUrl}/auth/token`) })).json()).toMatchObject({ token_type: 'DPoP' });
  });

  it('every 401 of a protected route offers the DPoP scheme with its algorithms (§7.1)', async () => {
    const response = await fetch(`${gatehouse.baseUrl}/auth/userinfo`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/DPoP realm="gatehouse", algs="ES256 RS256 PS256 EdDSA"/);
  });
});

describe('DPoP server nonces (DPOP_NONCE=true)', () => {
  let app: ListeningApp;
  let as: oauth.AuthorizationServer;
  let spa: oauth.Client;

  beforeAll(async () => {
    app = await createListeningApp({ DPOP_NONCE: 'true', ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
    as = await discover(app);
    const registered = await register(app, { client_name: 'A nonce SPA', redirect_uris: [redirectUri()], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], skip_consent: true });
    spa = { client_id: registered.client_id as string, token_endpoint_auth_method: 'none' };
  }, 60_000);
  afterAll(() => app?.close());

  it('token endpoint and protected routes answer use_dpop_nonce with a DPoP-Nonce; the retry with it works', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP(spa, keyPair);
    const { parameters, codeVerifier } = await authorize(app, as, spa);
    const exchange = () => oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), parameters, redirectUri(), codeVerifier, { DPoP: dpop, ...insecure });
    const first = await exchange();
    expect(first.status).toBe(400);
    expect(first.headers.get('dpop-nonce')).toMatch(/^[a-z0-9]+\.[A-Za-z0-9_-]{32}$/);
    const error = await oauth.processAuthorizationCodeResponse(as, spa, first).catch((caught: unknown) => caught);
    expect(oauth.isDPoPNonceError(error)).toBe(true);
    // The code was not spent by the refusal: the retry (the handle now holds the nonce) gets the tokens.
    const tokens = await oauth.processAuthorizationCodeResponse(as, spa, await exchange());
    expect(tokens.token_type).toBe('dpop');

    // A new handle of the same key has no nonce: the guard asks for one too.
    const fresh = oauth.DPoP(spa, keyPair);
    const call = () => oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${app.baseUrl}/auth/userinfo`), new Headers(), null, { DPoP: fresh, ...insecure });
    const refused = await call().catch((caught: unknown) => caught);
    expect(oauth.isDPoPNonceError(refused)).toBe(true);
    expect((await call()).status).toBe(200);

    // A made-up nonce is refused.
    const key = await proofKey();
    const response = await fetch(`${app.baseUrl}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(key, 'POST', `${app.baseUrl}/auth/token`, { nonce: 'abc.def' }) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: spa.client_id }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'use_dpop_nonce' });
  });
});

/** Two instances of one deployment: a proof accepted by one is a replay at the other, through the database or through Redis. */
describe.skipIf(!onPostgres())('two instances on one PostgreSQL database', () => {
  const variants: [string, () => Promise<Record<string, string> | null>][] = [
    ['the database', async () => ({})],
    ['Redis', async () => ((await redisSkipReason()) ? null : { REDIS_URL, REDIS_KEY_PREFIX: `dpop-test-${randomUUID().slice(0, 8)}:` })],
  ];

  describe.each(variants)('replays through %s', (_name, environment) => {
    let first: RunningServer;
    let second: RunningServer;
    let token: string;
    let key: ProofKey;

    beforeAll(async () => {
      const env = await environment();
      if (!env) return;
      const database = await createSharedDatabase();
      const publicUrl = `http://127.0.0.1:${await freePort()}`;
      // The same deployment: one database, one issuer (the address in front of both).
      first = await startServer({ DATABASE_URL: database.url, PUBLIC_URL: publicUrl, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, ...env });
      second = await startServer({ DATABASE_URL: database.url, PUBLIC_URL: publicUrl, ...env });
      const created = await fetch(`${first.baseUrl}/clients`, {
        method: 'POST',
        headers: { authorization: basic(ADMIN.username, ADMIN.password), 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Two-instance DPoP client', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' }),
      });
      const client = (await created.json()) as { client_id: string; client_secret: string };
      key = await proofKey();
      const issued = await fetch(`${first.baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id, client.client_secret), dpop: await proof(key, 'POST', `${publicUrl}/auth/token`) },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      token = ((await issued.json()) as { access_token: string }).access_token;
      expect(token).toEqual(expect.any(String));
      introspectAt = async (base, dpop) =>
        fetch(`${base}/auth/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `DPoP ${token}`, dpop }, body: new URLSearchParams({ token }) });
      htu = `${publicUrl}/auth/introspect`;
      // Kept for afterAll.
      drop = database.drop;
    }, 60_000);
    let introspectAt: (base: string, dpop: string) => Promise<Response>;
    let htu: string;
    let drop: (() => Promise<void>) | undefined;
    afterAll(async () => {
      await Promise.all([first?.stop(), second?.stop()]);
      await drop?.();
    });

    it('a proof accepted by one instance is refused by the other, also when sent to both at once', async (context) => {
      if (!token) return context.skip();
      const once = await proof(key, 'POST', htu, { ath: ath(token) });
      expect((await introspectAt(first.baseUrl, once)).status).toBe(200);
      const replay = await introspectAt(second.baseUrl, once);
      expect(replay.status).toBe(401);
      expect(replay.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
      for (let round = 0; round < 20; round++) {
        const racing = await proof(key, 'POST', htu, { ath: ath(token) });
        const answers = await Promise.all([introspectAt(first.baseUrl, racing), introspectAt(second.baseUrl, racing)]);
        expect(answers.map(({ status }) => status).sort()).toEqual([200, 401]);
      }
    });
  });
});
