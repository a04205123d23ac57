import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';

let testApp: TestApp;
const ADMIN = { username: 'root', password: 'admin-password-1' };
const BOTH_CHALLENGES = 'Bearer realm="gatehouse", DPoP realm="gatehouse", algs="ES256 RS256 PS256 EdDSA", Basic realm="gatehouse", charset="UTF-8"';

beforeAll(async () => {
  testApp = await createTestApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
});
afterAll(() => testApp.close());

describe('the seed journey', () => {
  it('register, token, greeting; Basic on /protected; 403 then 200 on /protected-admin', async () => {
    const registered = await testApp.http().post('/auth').send({ username: 'Grace', password: 'amazing-hymn-verse' }).expect(201);
    const token = await testApp.http().post('/auth/token').type('form').send({ username: 'Grace', password: 'amazing-hymn-verse' }).expect(200);

    const greeting = await testApp.http().get('/').set('Authorization', `Bearer ${token.body.access_token}`).expect(200);
    expect(greeting.body).toEqual({ message: `Hello, Grace with ID: ${registered.body.id}!` });

    const welcome = await testApp.http().get('/protected').set('Authorization', basic('Grace', 'amazing-hymn-verse')).expect(200);
    expect(welcome.body).toEqual({ message: 'Welcome, Grace! You accessed a protected endpoint.' });

    const forbidden = await testApp.http().get('/protected-admin').set('Authorization', basic('Grace', 'amazing-hymn-verse')).expect(403);
    expect(forbidden.body).toEqual({ statusCode: 403, message: 'You do not have permission to access this resource.', error: 'Forbidden' });

    const admin = await testApp.http().get('/protected-admin').set('Authorization', basic(ADMIN.username, ADMIN.password)).expect(200);
    expect(admin.body).toEqual({ message: 'Hello, Admin root! This is a top-secret route.' });
  });
});

describe('greeting routes', () => {
  it('GET /unprotected is open to everyone', async () => {
    const response = await testApp.http().get('/unprotected').expect(200);
    expect(response.body).toEqual({ message: 'This endpoint is open to everyone!' });
  });

  it('a trailing slash reaches the same route', async () => {
    await testApp.http().get('/unprotected/').expect(200);
    await testApp.http().get('/protected/').set('Authorization', basic(ADMIN.username, ADMIN.password)).expect(200);
  });

  it('the bootstrap admin logs in with a Bearer token on /protected-admin too', async () => {
    const token = await testApp.http().post('/auth/token').send(ADMIN).expect(200);
    await testApp.http().get('/protected-admin').set('Authorization', `Bearer ${token.body.access_token}`).expect(200);
  });

  it.each(['/', '/protected', '/protected-admin', '/auth/me'])('%s answers 401 with both challenges without credentials', async (path) => {
    const response = await testApp.http().get(path).expect(401);
    expect(response.headers['www-authenticate']).toBe(BOTH_CHALLENGES);
    expect(response.body).toEqual({ statusCode: 401, message: 'Authentication required: send a Bearer token or Basic credentials.', error: 'Unauthorized' });
  });

  it('refuses an unknown scheme with 401', async () => {
    const response = await testApp.http().get('/protected').set('Authorization', 'Digest username="x"').expect(401);
    expect(response.body.message).toMatch(/Unsupported authorization scheme/);
  });
});

describe('Basic authentication (RFC 7617)', () => {
  const withColon = { username: 'Heidi', password: 'pa:ss:word' };
  const leadingColon = { username: 'Ivan', password: ':leading-colon' };
  beforeAll(async () => {
    await testApp.http().post('/auth').send(withColon).expect(201);
    await testApp.http().post('/auth').send(leadingColon).expect(201);
  });

  it('takes a password that contains colons, split at the first colon only', async () => {
    await testApp.http().get('/protected').set('Authorization', basic(withColon.username, withColon.password)).expect(200);
    await testApp.http().get('/protected').set('Authorization', basic(leadingColon.username, leadingColon.password)).expect(200);
  });

  it('takes the username in any case and a lower-case scheme name', async () => {
    const encoded = Buffer.from(`hEIDI:${withColon.password}`).toString('base64');
    await testApp.http().get('/protected').set('Authorization', `basic ${encoded}`).expect(200);
  });

  it('takes UTF-8 passwords', async () => {
    await testApp.http().post('/auth').send({ username: 'judy', password: 'pässwörd-ünïcode' }).expect(201);
    await testApp.http().get('/protected').set('Authorization', basic('judy', 'pässwörd-ünïcode')).expect(200);
  });

  it.each([
    ['a wrong password', () => basic(withColon.username, 'pa:ss:wrong'), 'Invalid username or password.'],
    ['an unknown user', () => basic('nobody', 'whatever-password'), 'Invalid username or password.'],
    ['a password cut at the second colon', () => basic(withColon.username, 'pa:ss'), 'Invalid username or password.'],
    ['Base64 with characters outside RFC 4648', () => 'Basic SGVp!GkeA==', 'Malformed Basic credentials: the credentials are not valid Base64.'],
    ['Base64 without its padding', () => `Basic ${Buffer.from('Heidi:pa:ss:word').toString('base64').replace(/=+$/, '')}`, 'Malformed Basic credentials: the credentials are not valid Base64.'],
    ['URL-safe Base64', () => 'Basic _-_-', 'Malformed Basic credentials: the credentials are not valid Base64.'],
    ['no colon', () => `Basic ${Buffer.from('Heidi').toString('base64')}`, 'Malformed Basic credentials: the decoded credentials have no colon between username and password.'],
    ['bytes that are not UTF-8', () => `Basic ${Buffer.from([0x48, 0x3a, 0xff, 0xfe]).toString('base64')}`, 'Malformed Basic credentials: the credentials are not valid UTF-8.'],
    ['an empty credential', () => 'Basic ', 'Malformed Basic credentials: expected "Basic <base64 of username:password>".'],
    ['an oversized header', () => `Basic ${'A'.repeat(4000)}`, 'Malformed Basic credentials: the header is too long.'],
  ])('refuses %s with 401 and a clear message', async (_case, header, message) => {
    const response = await testApp.http().get('/protected').set('Authorization', header()).expect(401);
    expect(response.body).toEqual({ statusCode: 401, message, error: 'Unauthorized' });
    expect(response.headers['www-authenticate']).toBe(BOTH_CHALLENGES);
  });

  it('works on GET / as well, with the same greeting as Bearer', async () => {
    const { user, password } = await registerAndLogin(testApp, 'Mallory');
    const response = await testApp.http().get('/').set('Authorization', basic('Mallory', password)).expect(200);
    expect(response.body).toEqual({ message: `Hello, Mallory with ID: ${user.id}!` });
  });
});
