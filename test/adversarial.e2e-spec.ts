import { createHmac } from 'node:crypto';
import type { Test } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CONFIGURATION, type AppConfiguration } from '../src/config/configuration.js';
import { basic, createTestApp, expectNoLeak, registerAndLogin, type TestApp } from './helpers/app.js';

/**
 * An attacker's afternoon: every case states the exact status it must get,
 * and no answer may be a 5xx or show a stack trace, SQL or driver error.
 */
let testApp: TestApp;
let secret: string;
let user: { id: number; username: string };
let accessToken: string;
let refreshToken: string;
let deletedUserToken: string;
const ADMIN = { username: 'warden', password: 'keeps-the-keys-42' };
const PASSWORD = 'correct-horse-battery';

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
let issuer: string;
let kid: string;
function forge(header: object, payload: object, key = secret, algorithm = 'sha256'): string {
  const unsigned = `${base64url({ kid, ...header })}.${base64url(payload)}`;
  return `${unsigned}.${createHmac(algorithm, key).update(unsigned).digest('base64url')}`;
}
function claims(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: String(user.id), username: user.username, role: 'user', cv: 1, iat: now, exp: now + 600, iss: issuer, aud: 'gatehouse', jti: 'x', ...overrides };
}

beforeAll(async () => {
  // HS256: forging with the right secret is how these tests reach the checks beyond the signature.
  testApp = await createTestApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, JWT_ALGORITHM: 'HS256' });
  const config = testApp.app.get<AppConfiguration>(APP_CONFIGURATION);
  secret = config.jwt.secret!;
  issuer = config.jwt.issuer;
  const session = await registerAndLogin(testApp, 'target');
  user = session.user;
  accessToken = session.accessToken;
  kid = JSON.parse(Buffer.from(accessToken.split('.')[0], 'base64url').toString()).kid;
  refreshToken = (await testApp.http().post('/auth/token').send({ username: 'target', password: PASSWORD }).expect(200)).body.refresh_token;
  const doomed = await registerAndLogin(testApp, 'doomed');
  deletedUserToken = doomed.accessToken;
  await testApp.http().delete(`/users/${doomed.user.id}`).set('Authorization', basic(ADMIN.username, ADMIN.password)).expect(204);
});
afterAll(() => testApp.close());

type Case = [name: string, send: () => Test, status: number];

const register = (body: unknown) => testApp.http().post('/auth').send(body as object);
const registerRaw = (body: string, type = 'application/json') => testApp.http().post('/auth').set('Content-Type', type).send(body);
const token = (form: Record<string, string> | string) => testApp.http().post('/auth/token').type('form').send(form);
const tokenJson = (body: unknown) => testApp.http().post('/auth/token').send(body as object);
const greet = (authorization: string) => testApp.http().get('/').set('Authorization', authorization);
const asAdmin = () => basic(ADMIN.username, ADMIN.password);

const cases: Case[] = [
  // Malformed and oversized bodies
  ['truncated JSON', () => registerRaw('{"username":"x"'), 400],
  ['JSON with a trailing comma', () => registerRaw('{"username":"abc","password":"gentle-rain-falls",}'), 400],
  ['a JSON string as the body', () => registerRaw('"just a string"'), 400],
  ['a JSON number as the body', () => registerRaw('42'), 400],
  ['JSON null as the body', () => registerRaw('null'), 400],
  ['an empty JSON body', () => registerRaw(''), 400],
  ['a JSON array body', () => registerRaw('[{"username":"abc","password":"gentle-rain-falls"}]'), 400],
  ['a body of 100 KB', () => registerRaw(JSON.stringify({ username: 'abc', password: 'x'.repeat(100_000) })), 413],
  ['a form body of 100 KB on the token endpoint', () => token(`username=abc&password=${'x'.repeat(100_000)}`), 413],
  ['deeply nested JSON', () => registerRaw(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`), 400],
  ['text/plain on registration', () => registerRaw('username=abc&password=gentle-rain-falls', 'text/plain'), 400],
  ['JSON in an unsupported charset', () => registerRaw('{"username":"abc","password":"gentle-rain-falls"}', 'application/json; charset=latin1'), 415],
  // Unknown parameters are ignored (RFC 6749 §3.2); the body limit bounds how many can come.
  ['a form with 2000 parameters and no credentials', () => token(Array.from({ length: 2000 }, (_, index) => `p${index}=1`).join('&')), 400],
  // Wrong types and unknown fields
  ['a username as an object', () => register({ username: { $gt: '' }, password: 'gentle-rain-falls' }), 400],
  ['a username as an array', () => register({ username: ['abc'], password: 'gentle-rain-falls' }), 400],
  ['a username as a boolean', () => register({ username: true, password: 'gentle-rain-falls' }), 400],
  ['a password as a number', () => register({ username: 'typed', password: 12345678 }), 400],
  ['a password as null', () => register({ username: 'typed', password: null }), 400],
  ['a role field on registration', () => register({ username: 'wannabe', password: 'gentle-rain-falls', role: 'admin' }), 400],
  ['an isAdmin field on registration', () => register({ username: 'wannabe', password: 'gentle-rain-falls', isAdmin: true }), 400],
  ['__proto__ pollution on registration', () => registerRaw('{"username":"proto","password":"gentle-rain-falls","__proto__":{"role":"admin"}}'), 400],
  ['constructor pollution on registration', () => register({ username: 'proto2', password: 'gentle-rain-falls', constructor: { prototype: { role: 'admin' } } }), 400],
  ['a token request with an object username', () => tokenJson({ username: { $ne: null }, password: 'x' }), 400],
  ['a token request with a number password', () => tokenJson({ username: 'target', password: 12345678 }), 400],
  ['a grant_type array', () => tokenJson({ grant_type: ['password'], username: 'target', password: PASSWORD }), 400],
  // Injection strings
  ["SQL injection in the username (' OR 1=1 --)", () => register({ username: "' OR 1=1 --", password: 'gentle-rain-falls' }), 400],
  ['SQL injection in a login username', () => token({ username: "target' --", password: 'anything-at-all' }), 401],
  ['SQL injection in a login password', () => token({ username: 'target', password: "' OR '1'='1" }), 401],
  ['UNION SELECT in the username', () => token({ username: 'x UNION SELECT * FROM users', password: 'anything-at-all' }), 401],
  ['a script tag as username', () => register({ username: '<script>alert(1)</script>', password: 'gentle-rain-falls' }), 400],
  ['a path traversal username', () => register({ username: '../../etc/passwd', password: 'gentle-rain-falls' }), 400],
  ['a header injection username', () => register({ username: 'abc\r\nSet-Cookie: x=1', password: 'gentle-rain-falls' }), 400],
  ['a format string username', () => register({ username: '%s%s%s%n', password: 'gentle-rain-falls' }), 400],
  ['SQL injection in a path id', () => testApp.http().delete("/users/1;DROP TABLE users").set('Authorization', asAdmin()), 400],
  ['SQL injection in the page query', () => testApp.http().get("/users?page=1' OR '1'='1").set('Authorization', asAdmin()), 400],
  // NUL and control characters
  ['a NUL in the username', () => register({ username: 'abc\u0000def', password: 'gentle-rain-falls' }), 400],
  ['a NUL in the password', () => register({ username: 'nulpass', password: 'password\u0000123' }), 400],
  ['a newline in the password', () => register({ username: 'newline', password: 'pass\nword123' }), 400],
  ['an escape character in the password', () => register({ username: 'escape', password: 'pass\u001bword123' }), 400],
  ['a lone surrogate in the password', () => register({ username: 'surrogate', password: 'pass\ud800word123' }), 400],
  ['a tab in the username', () => register({ username: 'tab\tname', password: 'gentle-rain-falls' }), 400],
  ['a zero-width space in the username', () => register({ username: 'zero\u200bwidth', password: 'gentle-rain-falls' }), 400],
  ['a right-to-left override in the username', () => register({ username: 'rtl\u202eevil', password: 'gentle-rain-falls' }), 400],
  // Homoglyph and case-variant usernames
  ['a Cyrillic look-alike of an existing name', () => register({ username: 'tаrget', password: 'gentle-rain-falls' }), 400],
  ['a Greek look-alike', () => register({ username: 'οwner', password: 'gentle-rain-falls' }), 400],
  ['full-width letters', () => register({ username: 'ｔａｒｇｅｔ', password: 'gentle-rain-falls' }), 400],
  ['a dotless i', () => register({ username: 'admın', password: 'gentle-rain-falls' }), 400],
  ['an accented letter', () => register({ username: 'tärget', password: 'gentle-rain-falls' }), 400],
  ['the existing name in upper case', () => register({ username: 'TARGET', password: 'gentle-rain-falls' }), 409],
  ['the existing name in mixed case', () => register({ username: 'TaRgEt', password: 'gentle-rain-falls' }), 409],
  ['the admin name in another case', () => register({ username: 'WARDEN', password: 'gentle-rain-falls' }), 409],
  ['a leading space (not trimmed)', () => register({ username: ' target', password: 'gentle-rain-falls' }), 400],
  ['a trailing space (not trimmed)', () => register({ username: 'target ', password: 'gentle-rain-falls' }), 400],
  // Password byte limits with multi-byte characters
  ['a 73-byte password of 2-byte characters and one ASCII', () => register({ username: 'bytes73', password: `${'é'.repeat(36)}a` }), 400],
  ['a 74-byte password of 2-byte characters', () => register({ username: 'bytes74', password: 'é'.repeat(37) }), 400],
  ['a 76-byte password of emoji (19 characters)', () => register({ username: 'emoji76', password: '😀'.repeat(19) }), 400],
  ['a 72-byte password of emoji', () => register({ username: 'emoji72', password: '😀'.repeat(18) }), 201],
  ['a 72-byte password of 2-byte characters', () => register({ username: 'bytes72', password: 'é'.repeat(36) }), 201],
  ['a 7-byte password', () => register({ username: 'bytes7', password: 'abcdefg' }), 400],
  ['a login with a 73-byte password', () => token({ username: 'target', password: 'x'.repeat(73) }), 401],
  ['a login with a 2000-byte password', () => token({ username: 'target', password: 'x'.repeat(2000) }), 400],
  // JWT forgeries
  ['alg none', () => greet(`Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims())}.`), 401],
  ['alg NONE in capitals', () => greet(`Bearer ${base64url({ alg: 'NONE', typ: 'JWT' })}.${base64url(claims())}.`), 401],
  ['HS512 with the right secret', () => greet(`Bearer ${forge({ alg: 'HS512', typ: 'JWT' }, claims(), secret, 'sha512')}`), 401],
  ['HS384 with the right secret', () => greet(`Bearer ${forge({ alg: 'HS384', typ: 'JWT' }, claims(), secret, 'sha384')}`), 401],
  ['RS256 header over an HMAC signature', () => greet(`Bearer ${forge({ alg: 'RS256', typ: 'JWT' }, claims())}`), 401],
  ['a tampered payload (role admin) on /protected-admin', () => {
    const [header, , signature] = accessToken.split('.');
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString());
    return testApp.http().get('/protected-admin').set('Authorization', `Bearer ${header}.${base64url({ ...payload, role: 'admin' })}.${signature}`);
  }, 401],
  ['a stripped signature', () => greet(`Bearer ${accessToken.split('.').slice(0, 2).join('.')}.`), 401],
  ['a signature from another secret', () => greet(`Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, claims(), 'x'.repeat(40))}`), 401],
  ['an expired token', () => greet(`Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, claims({ iat: 1, exp: 2 }))}`), 401],
  ['a token not valid before next hour (nbf)', () => greet(`Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, claims({ nbf: Math.floor(Date.now() / 1000) + 3600 }))}`), 401],
  ['a wrong audience', () => greet(`Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, claims({ aud: 'other-api' }))}`), 401],
  ['a wrong issuer', () => greet(`Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, claims({ iss: 'https://evil.example' }))}`), 401],
  ['a token typed as something else than JWT', () => greet(`Bearer ${forge({ alg: 'HS256', typ: 'refresh+jwt' }, claims())}`), 401],
  ['a token without exp', () => greet(`Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, claims({ exp: undefined }))}`), 401],
  ['a kid pointing at a file', () => greet(`Bearer ${forge({ alg: 'HS256', typ: 'JWT', kid: '../../../../dev/null' }, claims(), '')}`), 401],
  ['a token of a deleted user', () => greet(`Bearer ${deletedUserToken}`), 401],
  ['a token whose subject is the admin’s name', () => greet(`Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, claims({ sub: 'warden' }))}`), 401],
  ['a token with a SQL subject', () => greet(`Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, claims({ sub: "1 OR 1=1" }))}`), 401],
  ['a token of 10 KB', () => greet(`Bearer ${'a'.repeat(10_000)}`), 401],
  ['a bearer scheme with no token', () => greet('Bearer '), 401],
  ['two tokens in one header', () => greet(`Bearer ${accessToken} ${accessToken}`), 401],
  // Basic forgeries
  ['Basic with bad Base64', () => greet('Basic ***'), 401],
  ['Basic with no colon', () => greet(`Basic ${Buffer.from('targetcorrect-horse-battery').toString('base64')}`), 401],
  ['Basic with an empty username', () => greet(basic('', PASSWORD)), 401],
  ['Basic with an empty password', () => greet(basic('target', '')), 401],
  ['Basic with a NUL after the password', () => greet(basic('target', `${PASSWORD}\u0000`)), 401],
  ['Basic with the password plus 72 more bytes', () => greet(basic('target', `${PASSWORD}${'x'.repeat(72)}`)), 401],
  ['Basic with a look-alike username', () => greet(basic('tаrget', PASSWORD)), 401],
  ['Basic with the password in another case', () => greet(basic('target', PASSWORD.toUpperCase())), 401],
  ['Basic with Latin-1 bytes', () => greet(`Basic ${Buffer.from('target:caf\xe9', 'latin1').toString('base64')}`), 401],
  ['Basic of 4 KB', () => greet(`Basic ${'QUFB'.repeat(1000)}`), 401],
  ['an Authorization header of 12 KB', () => greet(`Bearer ${'b'.repeat(12_000)}`), 401],
  ['an unknown scheme', () => greet(`Negotiate ${Buffer.from('x').toString('base64')}`), 401],
  // Refresh tokens and access tokens in each other's place
  ['a refresh token as an access token', () => greet(`Bearer ${refreshToken}`), 401],
  ['an access token as a refresh token', () => token({ grant_type: 'refresh_token', refresh_token: accessToken }), 401],
  ['a refresh token as a password', () => token({ username: 'target', password: refreshToken }), 401],
  ['an empty refresh token', () => token({ grant_type: 'refresh_token', refresh_token: '' }), 401],
  ['a 2000-character refresh token', () => token({ grant_type: 'refresh_token', refresh_token: 'r'.repeat(2000) }), 400],
  ['a refresh token with SQL in it', () => token({ grant_type: 'refresh_token', refresh_token: "' OR 1=1 --" }), 401],
  // Privilege escalation
  ['a user listing users', () => testApp.http().get('/users').set('Authorization', `Bearer ${accessToken}`), 403],
  ['a user promoting themselves', () => testApp.http().patch(`/users/${user.id}`).set('Authorization', `Bearer ${accessToken}`).send({ role: 'admin' }), 403],
  ['a user deleting the admin', () => testApp.http().delete('/users/1').set('Authorization', basic('target', PASSWORD)), 403],
  ['a user on /protected-admin', () => testApp.http().get('/protected-admin').set('Authorization', `Bearer ${accessToken}`), 403],
  ['a password change that sets a role', () => testApp.http().put('/auth/password').set('Authorization', `Bearer ${accessToken}`).send({ currentPassword: PASSWORD, newPassword: 'new-password-1', role: 'admin' }), 400],
  ['an admin setting an unknown role', () => testApp.http().patch(`/users/${user.id}`).set('Authorization', asAdmin()).send({ role: 'root' }), 400],
  ['an admin setting a role as an array', () => testApp.http().patch(`/users/${user.id}`).set('Authorization', asAdmin()).send({ role: ['admin'] }), 400],
  ['an admin renaming a user through PATCH', () => testApp.http().patch(`/users/${user.id}`).set('Authorization', asAdmin()).send({ role: 'user', username: 'renamed' }), 400],
  ['a negative id', () => testApp.http().patch('/users/-1').set('Authorization', asAdmin()).send({ role: 'admin' }), 400],
  ['a hex id', () => testApp.http().patch('/users/0x1').set('Authorization', asAdmin()).send({ role: 'admin' }), 400],
  ['an id with spaces', () => testApp.http().delete('/users/%201').set('Authorization', asAdmin()), 400],
  ['a huge page size', () => testApp.http().get('/users?pageSize=1000000').set('Authorization', asAdmin()), 400],
  // Odd requests
  ['a bad percent-encoding in the path', () => testApp.http().get('/users/%E0%A4%A').set('Authorization', asAdmin()), 400],
  ['an unknown route', () => testApp.http().get('/administrator'), 404],
  ['a method the route lacks', () => testApp.http().delete('/auth/token'), 404],
];

describe('adversarial input', () => {
  it('has at least 80 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
  });

  it.each(cases.map(([name, send, status]) => ({ name, send, status })))('$name → $status', async ({ send, status }) => {
    const response = await send();
    expect(response.status).toBeLessThan(500);
    expectNoLeak(response.body);
    expect(response.text).not.toMatch(/at .*\.(js|ts):\d+/);
    expect(response.status).toBe(status);
  });

  it('left the victim’s account and the admin untouched', async () => {
    await testApp.http().get('/protected-admin').set('Authorization', asAdmin()).expect(200);
    const me = await testApp.http().get('/auth/me').set('Authorization', basic('target', PASSWORD)).expect(200);
    expect(me.body.role).toBe('user');
  });
});
