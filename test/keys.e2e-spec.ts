import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';
import { startServer } from './helpers/server.js';

/**
 * Tokens other services verify without a shared secret: RS256 by default,
 * keys published at /.well-known/jwks.json, discovery metadata, rotation that
 * logs nobody out, key revocation, introspection and revocable access tokens.
 */
const ADMIN = { username: 'key-keeper', password: 'ring-of-brass-keys' };
const SERVICE = { username: 'resource-server', password: 'introspects-for-a-living' };
let testApp: TestApp;
const asAdmin = basic(ADMIN.username, ADMIN.password);
const asService = basic(SERVICE.username, SERVICE.password);

beforeAll(async () => {
  // A new key signs 2 s after it is published (10 minutes by default).
  testApp = await createTestApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, KEY_PUBLISH_AHEAD: '2s' });
  const service = await registerAndLogin(testApp, SERVICE.username, SERVICE.password);
  await testApp.http().patch(`/users/${service.user.id}`).set('Authorization', asAdmin).send({ role: 'service' }).expect(200);
});
afterAll(() => testApp.close());

const jwks = async () => (await testApp.http().get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const login = async (username: string, password: string) => (await testApp.http().post('/auth/token').type('form').send({ username, password }).expect(200)).body as { access_token: string; refresh_token: string };
const introspect = (token: string, as = asService, hint?: string) =>
  testApp.http().post('/auth/introspect').set('Authorization', as).type('form').send({ token, ...(hint ? { token_type_hint: hint } : {}) });
const greet = (token: string) => testApp.http().get('/').set('Authorization', `Bearer ${token}`);

describe('signing keys and the key set', () => {
  it('issues RS256 tokens with a kid that jose alone verifies from /.well-known/jwks.json and the discovery metadata', async () => {
    const { accessToken } = await registerAndLogin(testApp, 'verified-elsewhere');
    const metadata = (await testApp.http().get('/.well-known/openid-configuration').expect(200)).body;
    const keySet = await jwks();
    expect(keySet.keys).toHaveLength(1);
    expect(keySet.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: kidOf(accessToken) });
    // Public keys only: no private RSA members.
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(keySet.keys[0]).not.toHaveProperty(member);
    const { payload, protectedHeader } = await jwtVerify(accessToken, createLocalJWKSet(keySet), { issuer: metadata.issuer, audience: 'gatehouse', algorithms: ['RS256'] });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(payload).toMatchObject({ username: 'verified-elsewhere', role: 'user', iss: metadata.issuer });
  });

  it('publishes RFC 8414 metadata, the same at both paths, cacheable', async () => {
    const oauth = await testApp.http().get('/.well-known/oauth-authorization-server').expect(200);
    const openid = await testApp.http().get('/.well-known/openid-configuration').expect(200);
    expect(openid.body).toEqual(oauth.body);
    const base = oauth.body.issuer as string;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(oauth.body).toMatchObject({
      token_endpoint: `${base}/auth/token`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      revocation_endpoint: `${base}/auth/revoke`,
      introspection_endpoint: `${base}/auth/introspect`,
      authorization_endpoint: `${base}/authorize`,
      device_authorization_endpoint: `${base}/auth/device`,
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'urn:gatehouse:params:oauth:grant-type:mfa-otp', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:gatehouse:params:oauth:grant-type:passkey'],
      response_types_supported: ['code'],
    });
    // Id tokens are signed by the key store: its one algorithm, the truth.
    expect(oauth.body.id_token_signing_alg_values_supported).toEqual(['RS256']);
    expect(oauth.headers['cache-control']).toBe('public, max-age=300');
    expect((await testApp.http().get('/.well-known/jwks.json')).headers['cache-control']).toBe('public, max-age=300');
  });

  it('rotates without a logout: the new key is published first, signs once its time comes, and the old tokens keep working', async () => {
    const before = await login(ADMIN.username, ADMIN.password);
    const oldKid = kidOf(before.access_token);
    const rotated = await testApp.http().post('/keys/rotate').set('Authorization', asAdmin).expect(201);
    expect(rotated.body).toMatchObject({ kid: expect.any(String), algorithm: 'RS256', retiresAt: null });
    expect((await jwks()).keys.map((key) => key.kid)).toEqual([oldKid, rotated.body.kid]);
    // Published, not yet signing.
    expect(kidOf((await login(ADMIN.username, ADMIN.password)).access_token)).toBe(oldKid);
    let newKid = oldKid;
    for (const started = Date.now(); newKid === oldKid && Date.now() - started < 6000; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      newKid = kidOf((await login(ADMIN.username, ADMIN.password)).access_token);
    }
    expect(newKid).toBe(rotated.body.kid);
    await greet(before.access_token).expect(200);
    const listed = (await testApp.http().get('/keys').set('Authorization', asAdmin).expect(200)).body as { kid: string; retiresAt: string | null }[];
    expect(listed.find((key) => key.kid === oldKid)!.retiresAt).not.toBeNull();
  });

  it('revokes a key at once: its tokens end, it leaves the key set, and a new key signs', async () => {
    const { access_token: token } = await login(ADMIN.username, ADMIN.password);
    const kid = kidOf(token);
    const user = await registerAndLogin(testApp, 'key-victim');
    await greet(user.accessToken).expect(200);
    await testApp.http().post(`/keys/${kid}/revoke`).set('Authorization', asAdmin).expect(200);
    await greet(user.accessToken).expect(401);
    expect((await introspect(user.accessToken).expect(200)).body).toEqual({ active: false });
    expect((await jwks()).keys.map((key) => key.kid)).not.toContain(kid);
    const fresh = await login('key-victim', 'correct-horse-battery');
    expect(kidOf(fresh.access_token)).not.toBe(kid);
    await greet(fresh.access_token).expect(200);
    await testApp.http().post('/keys/no-such-key/revoke').set('Authorization', asAdmin).expect(404);
  });

  it('lets only admins manage keys', async () => {
    await testApp.http().post('/keys/rotate').set('Authorization', asService).expect(403);
    await testApp.http().get('/keys').expect(401);
  });
});

describe('introspection (RFC 7662)', () => {
  it('answers an active access token with its claims and the current role', async () => {
    const { user, accessToken } = await registerAndLogin(testApp, 'introspected');
    const answer = (await introspect(accessToken).expect(200)).body;
    expect(answer).toEqual({
      active: true,
      token_type: 'access_token',
      sub: String(user.id),
      username: 'introspected',
      role: 'user',
      exp: expect.any(Number),
      iat: expect.any(Number),
      iss: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      aud: 'gatehouse',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(answer.exp - answer.iat).toBe(1800);
    await testApp.http().patch(`/users/${user.id}`).set('Authorization', asAdmin).send({ role: 'admin' }).expect(200);
    expect((await introspect(accessToken).expect(200)).body.role).toBe('admin');
  });

  it('answers a refresh token with no more than active, exp and sub, and a spent one as inactive', async () => {
    const { user } = await registerAndLogin(testApp, 'refresh-introspected');
    const { refresh_token: refreshToken } = await login('refresh-introspected', 'correct-horse-battery');
    expect((await introspect(refreshToken, asService, 'refresh_token').expect(200)).body).toEqual({
      active: true,
      token_type: 'refresh_token',
      sub: String(user.id),
      exp: expect.any(Number),
      iss: expect.any(String),
    });
    await testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: refreshToken }).expect(200);
    expect((await introspect(refreshToken).expect(200)).body).toEqual({ active: false });
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['a token signed by someone else', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'],
  ])('answers %s as inactive', async (_case, token) => {
    expect((await introspect(token).expect(200)).body).toEqual({ active: false });
  });

  it('is refused to accounts that are neither admin nor service, and without credentials; a missing token is invalid_request', async () => {
    const { accessToken } = await registerAndLogin(testApp, 'nosy');
    await introspect(accessToken, `Bearer ${accessToken}`).expect(403);
    await testApp.http().post('/auth/introspect').type('form').send({ token: accessToken }).expect(401);
    expect((await testApp.http().post('/auth/introspect').set('Authorization', asService).type('form').send({}).expect(400)).body.error).toBe('invalid_request');
  });
});

describe('revocable access tokens', () => {
  it('refuses a revoked access token in the guard and reports it inactive, with or without the hint', async () => {
    for (const hint of ['access_token', undefined]) {
      const { accessToken } = await registerAndLogin(testApp, `revoked-${hint ?? 'nohint'}`);
      await greet(accessToken).expect(200);
      await testApp.http().post('/auth/revoke').type('form').send({ token: accessToken, ...(hint ? { token_type_hint: hint } : {}) }).expect(200);
      await greet(accessToken).expect(401);
      expect((await introspect(accessToken).expect(200)).body).toEqual({ active: false });
    }
  });

  it('ends every earlier access token of an account whose password changed, in the guard and in introspection', async () => {
    const { password, accessToken } = await registerAndLogin(testApp, 'changing-keys');
    // Verified once, so the guard holds it in its cache of verified tokens: the change must beat the cache.
    await greet(accessToken).expect(200);
    await testApp.http().put('/auth/password').set('Authorization', `Bearer ${accessToken}`).send({ currentPassword: password, newPassword: 'changed-password-1' }).expect(204);
    await greet(accessToken).expect(401);
    expect((await introspect(accessToken).expect(200)).body).toEqual({ active: false });
    await greet((await login('changing-keys', 'changed-password-1')).access_token).expect(200);
  });

  it('reports a deleted user’s tokens inactive', async () => {
    const { user, accessToken } = await registerAndLogin(testApp, 'deleted-keys');
    await testApp.http().delete(`/users/${user.id}`).set('Authorization', asAdmin).expect(204);
    expect((await introspect(accessToken).expect(200)).body).toEqual({ active: false });
  });
});

describe.each([
  ['ES256', 'EC'],
  ['EdDSA', 'OKP'],
])('JWT_ALGORITHM=%s', (algorithm, kty) => {
  it('signs with such a key, published in the key set and verifiable with jose', async () => {
    const server = await startServer({ JWT_ALGORITHM: algorithm });
    try {
      const registered = await fetch(`${server.baseUrl}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'curved', password: 'elliptic-and-smooth' }) });
      expect(registered.status).toBe(201);
      const token = ((await (await fetch(`${server.baseUrl}/auth/token`, { method: 'POST', body: new URLSearchParams({ username: 'curved', password: 'elliptic-and-smooth' }) })).json()) as { access_token: string }).access_token;
      const keySet = (await (await fetch(`${server.baseUrl}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
      expect(keySet.keys).toEqual([expect.objectContaining({ kty, alg: algorithm, use: 'sig', kid: kidOf(token) })]);
      const { issuer, id_token_signing_alg_values_supported: idTokenAlgorithms } = (await (await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`)).json()) as { issuer: string; id_token_signing_alg_values_supported: string[] };
      expect(idTokenAlgorithms).toEqual([algorithm]);
      await expect(jwtVerify(token, createLocalJWKSet(keySet), { issuer, audience: 'gatehouse', algorithms: [algorithm] })).resolves.toBeTruthy();
      expect((await fetch(`${server.baseUrl}/`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
