import { createHash, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, SignJWT, type JSONWebKeySet } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';
import { basic } from './helpers/app.js';
import { CookieBrowser } from './helpers/cookie-browser.js';
import { createListeningApp, freePort, type ListeningApp } from './helpers/listening-app.js';

/**
 * JWT_ALGORITHM=HS256: access tokens are signed with JWT_SECRET, which is
 * never published; id tokens are signed with the key store's RS256 keys,
 * published at jwks_uri, rotated and revoked as in the asymmetric modes, and
 * discovery says RS256. openid-client verifies the id tokens' signatures from
 * jwks_uri (enableNonRepudiationChecks).
 */
let gatehouse: ListeningApp;
let callbackBase: string;
let config: client.Configuration;
let registered: { client_id: string; client_secret: string };
const ADMIN = { username: 'hs256-admin', password: 'hs256-keeper-of-clients-1' };
const asAdmin = basic(ADMIN.username, ADMIN.password);
const redirectUri = () => `${callbackBase}/hs256/callback`;

beforeAll(async () => {
  callbackBase = `http://127.0.0.1:${await freePort()}`;
  gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, JWT_ALGORITHM: 'HS256', KEY_PUBLISH_AHEAD: '2s' });
  const response = await fetch(`${gatehouse.baseUrl}/clients`, {
    method: 'POST',
    headers: { authorization: asAdmin, 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'HS256 app', redirect_uris: [redirectUri()], grant_types: ['authorization_code', 'refresh_token'], skip_consent: true }),
  });
  expect(response.status).toBe(201);
  registered = (await response.json()) as typeof registered;
  config = await discover();
}, 60_000);
afterAll(() => gatehouse?.close());

async function discover(): Promise<client.Configuration> {
  const discovered = await client.discovery(new URL(gatehouse.baseUrl), registered.client_id, registered.client_secret, client.ClientSecretBasic(registered.client_secret), { execute: [client.allowInsecureRequests] });
  client.enableNonRepudiationChecks(discovered);
  return discovered;
}

let people = 0;
async function signIn(configuration = config) {
  const person = { username: `hs256-person-${++people}`, password: 'hs256-person-password-1' };
  expect((await fetch(`${gatehouse.baseUrl}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(person) })).status).toBe(201);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(configuration, { redirect_uri: redirectUri(), scope: 'openid profile offline_access', code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state, nonce });
  const callback = await new CookieBrowser().authorize(url, redirectUri(), person);
  return client.authorizationCodeGrant(configuration, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce });
}

const jwks = async () => (await (await fetch(`${gatehouse.baseUrl}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
const get = (path: string, authorization: string) => fetch(`${gatehouse.baseUrl}${path}`, { headers: { authorization } });

describe('OpenID Connect with JWT_ALGORITHM=HS256', () => {
  it('discovery says RS256; the key set holds RS256 public keys only, never the shared secret', async () => {
    expect(config.serverMetadata().id_token_signing_alg_values_supported).toEqual(['RS256']);
    const keys = (await jwks()).keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(keys.some((key) => key.kty === 'oct' || 'k' in key)).toBe(false);
  });

  it('the id token is RS256, verified from jwks_uri by openid-client; the access token beside it is HS256 and greets', async () => {
    const tokens = await signIn();
    expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ alg: 'RS256', kid: (await jwks()).keys[0].kid, typ: 'JWT' });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'HS256', kid: expect.stringMatching(/^hs256-/) });
    expect(tokens.claims()!.at_hash).toBe(createHash('sha256').update(tokens.access_token).digest().subarray(0, 16).toString('base64url'));
    expect((await get('/', `Bearer ${tokens.access_token}`)).status).toBe(200);
    expect((await get('/auth/userinfo', `Bearer ${tokens.access_token}`)).status).toBe(200);
    // The RS256 id token is no access token.
    expect((await get('/', `Bearer ${tokens.id_token}`)).status).toBe(401);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(decodeProtectedHeader(refreshed.id_token!).alg).toBe('RS256');
    expect(decodeProtectedHeader(refreshed.access_token).alg).toBe('HS256');
  });

  it('refuses an access token signed with a stored RS256 key: with HS256 only JWT_SECRET signs access tokens', async () => {
    const tokens = await signIn();
    const key = await gatehouse.app.get(SigningKeysService).asymmetricSigningKey();
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    const forged = await new SignJWT({ ...claims, jti: randomUUID() }).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey);
    const response = await get('/', `Bearer ${forged}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('rotation and revocation work on the stored keys: the new RS256 key is published, then signs id tokens; a revoked one leaves the key set', async () => {
    const oldKid = (await jwks()).keys[0].kid!;
    const rotated = await fetch(`${gatehouse.baseUrl}/keys/rotate`, { method: 'POST', headers: { authorization: asAdmin } });
    expect(rotated.status).toBe(201);
    const { kid: newKid, algorithm } = (await rotated.json()) as { kid: string; algorithm: string };
    expect(algorithm).toBe('RS256');
    // Fetched now, the key set holds both keys before the new one signs.
    const fresh = await discover();
    expect((await jwks()).keys.map((key) => key.kid)).toEqual([oldKid, newKid]);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const tokens = await signIn(fresh);
    expect(decodeProtectedHeader(tokens.id_token!).kid).toBe(newKid);
    // Access tokens are untouched by the rotation: still JWT_SECRET.
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe('HS256');

    const revoked = await fetch(`${gatehouse.baseUrl}/keys/${newKid}/revoke`, { method: 'POST', headers: { authorization: asAdmin } });
    expect(revoked.status).toBe(200);
    const published = (await jwks()).keys.map((key) => key.kid);
    expect(published).not.toContain(newKid);
    // A new key signs at once in its place; a client fetching the key set now verifies its id tokens.
    const after = await signIn(await discover());
    const signer = decodeProtectedHeader(after.id_token!).kid;
    expect([oldKid, newKid]).not.toContain(signer);
    expect(published).toContain(signer);
    // The HS256 access tokens issued before all this still work.
    expect((await get('/', `Bearer ${tokens.access_token}`)).status).toBe(200);
  });
});
