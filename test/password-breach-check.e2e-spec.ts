import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';
import { createSharedDatabase } from './helpers/postgres.js';
import { sha1Of, startPwnedPasswordsApi, type PwnedPasswordsApi, type PwnedPasswordsBehaviour } from './helpers/pwned-passwords-api.js';
import { runBuilt } from './helpers/server.js';

/**
 * PASSWORD_BREACH_CHECK=hibp against a local server that speaks Have I Been
 * Pwned's range API: a password it knows is refused wherever a password is
 * set; only five hex characters of the SHA-1 leave; an API that cannot be
 * asked never blocks a registration.
 */
const BREACHED = 'tr0ub4dor&3-horse'; // not in the offline list: only the API knows it
const DECOY = 'a-padded-passphrase'; // its suffix comes back only as padding, with the count 0
const GOOD = 'correct-horse-battery';
const WHY = 'appears in a data breach known to Have I Been Pwned';

let api: PwnedPasswordsApi;
let testApp: TestApp;
const warnings = vi.spyOn(Logger.prototype, 'warn');
const skipWarnings = () => warnings.mock.calls.filter(([message]) => String(message).startsWith('the Have I Been Pwned password check was skipped'));

beforeAll(async () => {
  api = await startPwnedPasswordsApi({ [BREACHED]: 3_861_493 }, [DECOY]);
  testApp = await createTestApp({ PASSWORD_BREACH_CHECK: 'hibp', HIBP_API_URL: api.url, HIBP_TIMEOUT: '1s' });
});
afterEach(() => {
  api.behave('answer');
  api.requests.length = 0;
  warnings.mockClear();
});
afterAll(async () => {
  await testApp.close();
  await api.close();
});

describe('PASSWORD_BREACH_CHECK=hibp over HTTP', () => {
  it('refuses a registration with a breached password, 400 saying why; only five hex characters of its SHA-1 left', async () => {
    const response = await testApp.http().post('/auth').send({ username: 'breached', password: BREACHED }).expect(400);
    expect(response.body).toEqual({ statusCode: 400, message: `password ${WHY}`, error: 'Bad Request' });

    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request).toMatchObject({ method: 'GET', url: `/range/${sha1Of(BREACHED).slice(0, 5)}`, body: '' });
    expect(request.headers['add-padding']).toBe('true');
    const sent = JSON.stringify(request);
    expect(sent).not.toContain(BREACHED);
    expect(sent.toUpperCase()).not.toContain(sha1Of(BREACHED).slice(5, 12));

    // Nothing stored: the name is still free.
    await testApp.http().post('/auth').send({ username: 'breached', password: GOOD }).expect(201);
  });

  it('refuses a breached new password on PUT /auth/password, and keeps the old one', async () => {
    const { accessToken } = await registerAndLogin(testApp, 'changer', GOOD);
    const response = await testApp.http().put('/auth/password').set('Authorization', `Bearer ${accessToken}`).send({ currentPassword: GOOD, newPassword: BREACHED }).expect(400);
    expect(response.body).toEqual({ statusCode: 400, message: `newPassword ${WHY}`, error: 'Bad Request' });
    await testApp.http().get('/protected').set('Authorization', basic('changer', GOOD)).expect(200);
  });

  it('takes a password whose suffix comes back only as padding (count 0)', async () => {
    await testApp.http().post('/auth').send({ username: 'cushioned', password: DECOY }).expect(201);
    expect(api.requests.map((request) => request.url)).toEqual([`/range/${sha1Of(DECOY).slice(0, 5)}`]);
  });

  it('does not ask about a password the offline rules already refuse', async () => {
    await testApp.http().post('/auth').send({ username: 'offline', password: 'password1234' }).expect(400);
    expect(api.requests).toHaveLength(0);
  });

  it.each<[string, PwnedPasswordsBehaviour]>([
    ['drops the connection', 'reset'],
    ['does not answer within HIBP_TIMEOUT', 'hang'],
    ['answers 503', 503],
  ])('registers anyway when the API %s: the check is skipped and logged, never blocking', async (_, behaviour) => {
    api.behave(behaviour);
    const username = `unchecked-${behaviour}`;
    await testApp.http().post('/auth').send({ username, password: BREACHED }).expect(201);
    expect(api.requests).toHaveLength(1);
    expect(skipWarnings()).toHaveLength(1);
    await testApp.http().post('/auth/token').type('form').send({ username, password: BREACHED }).expect(200);
  });
});

describe('PASSWORD_BREACH_CHECK=hibp in the built programs', () => {
  let database: Awaited<ReturnType<typeof createSharedDatabase>>;
  const env = () => ({ DATABASE_URL: database.url, PASSWORD_BREACH_CHECK: 'hibp', HIBP_API_URL: api.url });
  beforeAll(async () => {
    database = await createSharedDatabase();
  });
  afterAll(() => database.drop());

  it('npm run user:create refuses a breached password with one line', async () => {
    expect(await runBuilt('dist/src/cli/create-user.js', ['toolmade'], { ...env(), USER_PASSWORD: BREACHED })).toMatchObject({ code: 1, stderr: `user:create: the password ${WHY}\n` });
    expect(api.requests.map((request) => request.url)).toEqual([`/range/${sha1Of(BREACHED).slice(0, 5)}`]);
  });

  it('a breached bootstrap admin password stops start-up with one line', async () => {
    const start = await runBuilt('dist/src/main.js', [], { ...env(), ADMIN_USERNAME: 'root_admin', ADMIN_PASSWORD: BREACHED });
    expect(start).toMatchObject({ code: 1, stderr: `gatehouse: configuration error: ADMIN_PASSWORD ${WHY}\n` });
  });
});
