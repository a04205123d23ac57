import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, expectNoLeak, registerAndLogin, type TestApp } from './helpers/app.js';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp();
});
afterAll(() => testApp.close());

describe('POST /auth (registration)', () => {
  it('creates a user account and answers 201 with id, username, role and createdAt, never the hash', async () => {
    const response = await testApp.http().post('/auth').send({ username: 'Register.Me', password: 'gentle-rain-falls' }).expect(201);
    expect(response.body).toEqual({ id: expect.any(Number), username: 'Register.Me', role: 'user', email: null, emailVerified: false, createdAt: expect.any(String) });
    expect(new Date(response.body.createdAt).getTime()).not.toBeNaN();
  });

  it('refuses a name taken in another case with 409', async () => {
    await testApp.http().post('/auth').send({ username: 'Carol', password: 'gentle-rain-falls' }).expect(201);
    const response = await testApp.http().post('/auth').send({ username: 'cAROL', password: 'quiet-snow-falls' }).expect(409);
    expect(response.body).toEqual({ statusCode: 409, message: 'Username is already taken.', error: 'Conflict' });
  });

  it('settles two registrations racing for one name as one 201 and one 409, never a 500', async () => {
    for (let round = 0; round < 5; round++) {
      const name = `racer${round}`;
      const statuses = (
        await Promise.all([
          testApp.http().post('/auth').send({ username: name, password: 'gentle-rain-falls' }),
          testApp.http().post('/auth').send({ username: name.toUpperCase(), password: 'gentle-rain-falls' }),
        ])
      ).map((response) => response.status);
      expect(statuses.sort()).toEqual([201, 409]);
    }
  });

  it('never lets a registration that failed (409) undo a concurrent one that succeeded', async () => {
    await testApp.http().post('/auth').send({ username: 'taken-name', password: 'gentle-rain-falls' }).expect(201);
    const names = Array.from({ length: 12 }, (_, index) => `mixed${index}`);
    const responses = await Promise.all(
      names.flatMap((name) => [
        testApp.http().post('/auth').send({ username: name, password: 'gentle-rain-falls' }),
        testApp.http().post('/auth').send({ username: 'TAKEN-NAME', password: 'gentle-rain-falls' }),
      ]),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([...Array(12).fill(201), ...Array(12).fill(409)]);
    for (const name of names) await testApp.http().post('/auth/token').send({ username: name, password: 'gentle-rain-falls' }).expect(200);
  });

  it.each([
    ['a username that is too short', { username: 'ab', password: 'gentle-rain-falls' }],
    ['a username that is too long', { username: 'a'.repeat(65), password: 'gentle-rain-falls' }],
    ['a username with a space', { username: 'al ice', password: 'gentle-rain-falls' }],
    ['a username with a leading space (refused, not trimmed)', { username: ' alice2', password: 'gentle-rain-falls' }],
    ['a username in full-width letters (refused, not folded)', { username: 'ａｌｉｃｅ', password: 'gentle-rain-falls' }],
    ['a username that is a number', { username: 12345, password: 'gentle-rain-falls' }],
    ['a missing username', { password: 'gentle-rain-falls' }],
    ['a password under 8 characters', { username: 'shorty', password: 'seven77' }],
    ['a password of 73 bytes', { username: 'longpw', password: 'a'.repeat(73) }],
    ['a password of 25 three-byte characters (75 bytes, 25 characters)', { username: 'longpw2', password: '€'.repeat(25) }],
    ['a password that is an array', { username: 'arraypw', password: ['gentle-rain-falls'] }],
    ['a role field (no self-made admins)', { username: 'sneaky', password: 'gentle-rain-falls', role: 'admin' }],
    ['an unknown field', { username: 'extra', password: 'gentle-rain-falls', nickname: 'x' }],
  ])('refuses %s with 400 and stores nothing', async (_case, body) => {
    const response = await testApp.http().post('/auth').send(body).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expectNoLeak(response.body);
    const username = (body as { username?: unknown }).username;
    if (typeof username === 'string' && /^[A-Za-z0-9._-]{3,64}$/.test(username)) {
      // Had it been stored, its name would now be taken.
      await testApp.http().post('/auth').send({ username, password: 'gentle-rain-falls' }).expect(201);
    }
  });

  it('takes a password of exactly 72 bytes made of multi-byte characters, and that password logs in', async () => {
    const password = '€'.repeat(24); // 24 × 3 bytes
    await testApp.http().post('/auth').send({ username: 'euro', password }).expect(201);
    await testApp.http().post('/auth/token').send({ username: 'euro', password }).expect(200);
  });

  it('answers malformed JSON with 400 in Nest’s shape', async () => {
    const response = await testApp.http().post('/auth').set('Content-Type', 'application/json').send('{"username": "x",').expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expectNoLeak(response.body);
  });

  it('answers an oversized body with 413', async () => {
    const response = await testApp.http().post('/auth').send({ username: 'big', password: 'x'.repeat(100_000) }).expect(413);
    expect(response.body).toEqual({ statusCode: 413, message: 'Request body is too large', error: 'Payload Too Large' });
  });
});

describe('POST /auth/token (password grant)', () => {
  let password: string;
  beforeAll(async () => {
    ({ password } = await registerAndLogin(testApp, 'Dave'));
  });

  it('issues a bearer token from a form-encoded body, with no-store headers', async () => {
    const response = await testApp.http().post('/auth/token').type('form').send({ grant_type: 'password', username: 'Dave', password }).expect(200);
    expect(response.body).toMatchObject({ access_token: expect.any(String), token_type: 'bearer', expires_in: 1800 });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['pragma']).toBe('no-cache');
  });

  it('takes a JSON body, grant_type omitted, and the username in another case', async () => {
    const response = await testApp.http().post('/auth/token').send({ username: 'dAVE', password }).expect(200);
    expect(response.body.token_type).toBe('bearer');
  });

  it('ignores scope, unknown parameters and empty client credentials (what Swagger UI sends without a client) for a first-party login', async () => {
    await testApp
      .http()
      .post('/auth/token')
      .set('Authorization', basic('', ''))
      .type('form')
      .send({ grant_type: 'password', username: 'Dave', password, scope: 'read write', client_id: '', client_secret: '', foo: 'bar' })
      .expect(200);
  });

  it('refuses client credentials of a client that is not registered: 401 invalid_client (OAUTH.md, "Token endpoint")', async () => {
    const response = await testApp.http().post('/auth/token').set('Authorization', basic('swagger-client', 'secret')).type('form').send({ grant_type: 'password', username: 'Dave', password }).expect(401);
    expect(response.body.error).toBe('invalid_client');
    expect(response.headers['www-authenticate']).toMatch(/^Basic /);
  });

  it('gives a wrong password and an unknown user the same 401 invalid_grant body and challenge', async () => {
    const wrongPassword = await testApp.http().post('/auth/token').type('form').send({ username: 'Dave', password: 'wrong-password' }).expect(401);
    const unknownUser = await testApp.http().post('/auth/token').type('form').send({ username: 'nobody-here', password: 'wrong-password' }).expect(401);
    const expected = { statusCode: 401, error: 'invalid_grant', error_description: 'Invalid username or password.', message: 'Invalid username or password.' };
    expect(wrongPassword.body).toEqual(expected);
    expect(unknownUser.body).toEqual(expected);
    for (const response of [wrongPassword, unknownUser]) {
      expect(response.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
      expect(response.headers['cache-control']).toBe('no-store');
    }
  });

  it('does not accept a password that only matches in its first 72 bytes', async () => {
    const base = 'p'.repeat(72);
    await testApp.http().post('/auth').send({ username: 'trunc', password: base }).expect(201);
    await testApp.http().post('/auth/token').send({ username: 'trunc', password: `${base}extra` }).expect(401);
  });

  it('answers an unknown grant type with 400 unsupported_grant_type', async () => {
    const response = await testApp.http().post('/auth/token').type('form').send({ grant_type: 'urn:example:teleport' }).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'unsupported_grant_type' });
    expect(response.body.error_description).toContain('urn:example:teleport');
  });

  it.each([
    ['a missing password', 'grant_type=password&username=Dave'],
    ['a missing username', 'password=whatever1'],
    ['a repeated username', 'username=Dave&username=Eve&password=whatever1'],
    ['a repeated grant_type', 'grant_type=password&grant_type=password&username=Dave&password=whatever1'],
  ])('answers %s with 400 invalid_request', async (_case, form) => {
    const response = await testApp.http().post('/auth/token').type('form').send(form).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'invalid_request', error_description: expect.any(String) });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('answers a JSON array body with 400 invalid_request', async () => {
    const response = await testApp.http().post('/auth/token').send([1, 2]).expect(400);
    expect(response.body.error).toBe('invalid_request');
  });
});

describe('GET /auth/me', () => {
  it('shows the signed-in account with Bearer and with Basic', async () => {
    const { user, password, accessToken } = await registerAndLogin(testApp, 'Erin');
    const viaBearer = await testApp.http().get('/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(200);
    expect(viaBearer.body).toEqual({ id: user.id, username: 'Erin', role: 'user', email: null, emailVerified: false, createdAt: expect.any(String) });
    const viaBasic = await testApp.http().get('/auth/me').set('Authorization', basic('erin', password)).expect(200);
    expect(viaBasic.body).toEqual(viaBearer.body);
  });

  it('answers 401 with both challenges without credentials', async () => {
    const response = await testApp.http().get('/auth/me').expect(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="gatehouse", DPoP realm="gatehouse", algs="ES256 RS256 PS256 EdDSA", Basic realm="gatehouse", charset="UTF-8"');
  });
});
