import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CONFIGURATION, type AppConfiguration } from '../src/config/configuration.js';
import { UsersService } from '../src/users/users.service.js';
import { createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';

let testApp: TestApp;
let secret: string;
let issuer: string;
let kid: string;
let accessToken: string;
let userId: number;

const base64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Signs as the service does with HS256 (the kid of its key unless the header says otherwise), or otherwise, as a forger would. */
function sign(header: object, payload: object, key = secret, algorithm = 'sha256'): string {
  const unsigned = `${base64url({ kid, ...header })}.${base64url(payload)}`;
  return `${unsigned}.${createHmac(algorithm, key).update(unsigned).digest('base64url')}`;
}

function claims(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: String(userId), username: 'Frank', role: 'user', cv: 1, iat: now, exp: now + 600, iss: issuer, aud: 'gatehouse', jti: 'test-jti', ...overrides };
}

const greet = (token: string) => testApp.http().get('/').set('Authorization', `Bearer ${token}`);

beforeAll(async () => {
  // HS256, the shared-secret mode: these tests forge tokens with the secret. RS256 (the default) is keys.e2e-spec.ts.
  testApp = await createTestApp({ JWT_ALGORITHM: 'HS256' });
  const config = testApp.app.get<AppConfiguration>(APP_CONFIGURATION);
  secret = config.jwt.secret!;
  issuer = config.jwt.issuer;
  const session = await registerAndLogin(testApp, 'Frank');
  accessToken = session.accessToken;
  kid = JSON.parse(Buffer.from(accessToken.split('.')[0], 'base64url').toString()).kid;
  userId = session.user.id;
});
afterAll(() => testApp.close());

describe('access tokens', () => {
  it('are HS256 JWTs with a kid, and sub, username, role, the credentials version, iat, exp, iss (PUBLIC_URL), aud and jti', () => {
    const [header, payload] = accessToken.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: expect.stringMatching(/^hs256-[A-Za-z0-9_-]{16}$/) });
    expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(payload).toEqual({
      sub: String(userId),
      username: 'Frank',
      role: 'user',
      cv: 1,
      iat: expect.any(Number),
      exp: payload.iat + 1800,
      iss: issuer,
      aud: 'gatehouse',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      amr: ['pwd'],
      auth_time: payload.iat,
    });
  });

  it('open the greeting as issued, and a token we sign ourselves with the right secret does too', async () => {
    await greet(accessToken).expect(200);
    await greet(sign({ alg: 'HS256', typ: 'JWT' }, claims())).expect(200);
  });

  it('accept iat and exp within the 5 s clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    await greet(sign({ alg: 'HS256', typ: 'JWT' }, claims({ iat: now + 3, exp: now + 3 + 1800 + 3 }))).expect(200);
  });

  it.each([
    ['alg none', () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims())}.`],
    ['HS512 signed with the same secret', () => sign({ alg: 'HS512', typ: 'JWT' }, claims(), secret, 'sha512')],
    ['a wrong signature', () => sign({ alg: 'HS256', typ: 'JWT' }, claims(), 'another-secret-of-at-least-32-bytes!!')],
    ['a tampered payload (role admin)', () => {
      const [header, , signature] = accessToken.split('.');
      return `${header}.${base64url({ ...JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()), role: 'admin' })}.${signature}`;
    }],
    ['a stripped signature', () => accessToken.split('.').slice(0, 2).join('.') + '.'],
    ['an expired token', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ iat: 1000, exp: 2000 }))],
    ['a wrong issuer', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ iss: 'evil' }))],
    ['a wrong audience', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ aud: 'someone-else' }))],
    ['no exp claim', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ exp: undefined }))],
    ['a subject that is not an id', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ sub: 'admin' }))],
    ['a subject of a user that never existed', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ sub: '999999' }))],
    ['an unknown kid', () => sign({ alg: 'HS256', typ: 'JWT', kid: 'hs256-AAAAAAAAAAAAAAAA' }, claims())],
    ['no kid', () => sign({ alg: 'HS256', typ: 'JWT', kid: undefined }, claims())],
    ['a credentials version the user no longer has (issued before a password change)', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ cv: 0 }))],
    ['no credentials version', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ cv: undefined }))],
    ['an unknown critical header extension (crit, RFC 7515 §4.1.11)', () => sign({ alg: 'HS256', typ: 'JWT', crit: ['exp-policy'], 'exp-policy': 'strict' }, claims())],
    ['an empty crit header', () => sign({ alg: 'HS256', typ: 'JWT', crit: [] }, claims())],
    ['iat in the future (beyond the clock tolerance)', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ iat: Math.floor(Date.now() / 1000) + 120, exp: Math.floor(Date.now() / 1000) + 600 }))],
    ['exp far beyond ACCESS_TOKEN_TTL', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ exp: Math.floor(Date.now() / 1000) + 365 * 86400 }))],
    ['no iat claim', () => sign({ alg: 'HS256', typ: 'JWT' }, claims({ iat: undefined }))],
    ['garbage', () => 'not-a-jwt'],
  ])('refuses %s with 401 invalid_token', async (_case, makeToken) => {
    const response = await greet(makeToken()).expect(401);
    expect(response.body).toEqual({ statusCode: 401, message: 'The access token is invalid or expired.', error: 'Unauthorized' });
    expect(response.headers['www-authenticate']).toBe('Bearer realm="gatehouse", error="invalid_token", DPoP realm="gatehouse", algs="ES256 RS256 PS256 EdDSA", Basic realm="gatehouse", charset="UTF-8"');
  });

  it('stop working once their user is deleted', async () => {
    const session = await registerAndLogin(testApp, 'ShortLived');
    await greet(session.accessToken).expect(200);
    await testApp.app.get(UsersService).delete(session.user.id, {});
    await greet(session.accessToken).expect(401);
  });
});
