import { getRepositoryToken } from '@nestjs/typeorm';
import bcrypt from 'bcryptjs';
import type { Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../src/users/entities/user.entity.js';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';
import { createSharedDatabase } from './helpers/postgres.js';
import { runBuilt as runBuiltProgram, startServer } from './helpers/server.js';

/**
 * The password policy (NIST SP 800-63B) wherever a password is set: POST /auth,
 * PUT /auth/password, npm run user:create and the bootstrap admin. Every
 * refusal says why, and stores nothing. PASSWORD_MIN_LENGTH is raised to 12
 * here, so the length rule shows it follows the setting.
 */
const POLICY = { PASSWORD_MIN_LENGTH: '12' };
const GOOD = 'correct-horse-battery';
const TOO_COMMON = 'is too common (it appears in lists of breached passwords)';
const INVISIBLE = 'must not contain zero-width characters (zero-width spaces or joiners, word joiners, byte-order marks)';

/** The full-width form of printable ASCII (U+FF01 to U+FF5E): what an East Asian keyboard may type. */
const fullWidth = (text: string) => text.replace(/[!-~]/g, (character) => String.fromCharCode(character.charCodeAt(0) + 0xfee0));

/** Each refusal of the policy: what, the password for a given username, and why. */
const REFUSALS: [string, (username: string) => string, string][] = [
  ['a password from the blocklist', () => 'password1234', TOO_COMMON],
  ['a case variant of a listed password', () => 'LeaveMeAlone', TOO_COMMON],
  ['a password containing the username', (username) => `${username}-and-the-sea`, 'must not contain the username'],
  ['a password containing the username in another case', (username) => `the-${username.toUpperCase()}-of-the-hills`, 'must not contain the username'],
  ['fewer characters than PASSWORD_MIN_LENGTH', () => 'eleven-char', 'must be at least 12 characters'],
  ['fewer characters than PASSWORD_MIN_LENGTH, though 33 bytes', () => '€'.repeat(11), 'must be at least 12 characters'],
  // NIST SP 800-63B §5.1.1.2: compared in NFKC, so look-alike forms of a listed password are the listed password.
  ['a listed password with spaces around it', () => '  password1234\u3000 ', TOO_COMMON],
  ['a listed password in full-width forms', () => fullWidth('password1234'), TOO_COMMON],
  ['a listed password with a zero-width space inside', () => 'password\u200b1234', INVISIBLE],
  ['a byte-order mark', () => '\ufeffcorrect-horse-battery', INVISIBLE],
  ['the username in full-width forms', (username) => `the-${fullWidth(username)}-of-the-hills`, 'must not contain the username'],
  ['fewer characters than PASSWORD_MIN_LENGTH once composed, though 12 code points in NFD', () => 'e\u0301'.repeat(6), 'must be at least 12 characters'],
];
/** One account name per refusal and place, in mixed case (names are unique case-insensitively). */
const nameFor = (place: string, what: string) => `${place}${REFUSALS.findIndex(([refusal]) => refusal === what)}`;

let testApp: TestApp;
beforeAll(async () => {
  testApp = await createTestApp(POLICY);
});
afterAll(() => testApp.close());

describe('POST /auth (registration) under the password policy', () => {
  it.each(REFUSALS)('refuses %s with 400 saying why, and stores nothing', async (what, passwordFor, why) => {
    const username = nameFor('Signup', what);
    const password = passwordFor(username);
    const response = await testApp.http().post('/auth').send({ username, password }).expect(400);
    expect(response.body).toEqual({ statusCode: 400, message: `password ${why}`, error: 'Bad Request' });
    await testApp.http().post('/auth/token').type('form').send({ username, password }).expect(401);
    // Had it been stored, the name would now be taken.
    await testApp.http().post('/auth').send({ username, password: GOOD }).expect(201);
  });

  it.each([
    ['lower-case words and spaces', 'purple monkey dishwasher'],
    ['digits only', '948372615094'],
    ['twelve multi-byte characters', '€'.repeat(12)],
  ])('has no composition rules: takes %s', async (_, password) => {
    const username = `free${password.length}${password.charCodeAt(0)}`;
    await testApp.http().post('/auth').send({ username, password }).expect(201);
    await testApp.http().post('/auth/token').type('form').send({ username, password }).expect(200);
  });
});

describe('PUT /auth/password under the password policy', () => {
  it.each(REFUSALS)('refuses %s as the new password with 400 saying why, and keeps the old one', async (what, passwordFor, why) => {
    const account = await registerAndLogin(testApp, nameFor('Change', what), GOOD);
    const response = await testApp
      .http()
      .put('/auth/password')
      .set('Authorization', `Bearer ${account.accessToken}`)
      .send({ currentPassword: GOOD, newPassword: passwordFor(account.user.username) })
      .expect(400);
    expect(response.body).toEqual({ statusCode: 400, message: `newPassword ${why}`, error: 'Bad Request' });
    // Nothing changed: the old password works, the new one does not, and the login lives on.
    await testApp.http().get('/protected').set('Authorization', basic(account.user.username, GOOD)).expect(200);
    await testApp.http().get('/protected').set('Authorization', `Bearer ${account.accessToken}`).expect(200);
  });

  it('takes a new password the policy accepts', async () => {
    const account = await registerAndLogin(testApp, 'frank', GOOD);
    const put = testApp.http().put('/auth/password').set('Authorization', basic('frank', GOOD));
    await put.send({ currentPassword: GOOD, newPassword: 'purple monkey dishwasher' }).expect(204);
    await testApp.http().get('/protected').set('Authorization', basic(account.user.username, 'purple monkey dishwasher')).expect(200);
  });
});

describe('passwords in one normal form (NFKC, NIST SP 800-63B §5.1.1.2)', () => {
  const login = (username: string, password: string) => testApp.http().post('/auth/token').type('form').send({ username, password });
  const users = () => testApp.app.get<Repository<User>>(getRepositoryToken(User));
  const CREME = 'crème brûlée à côté';

  it.each([
    ['NFC', 'NFD'],
    ['NFD', 'NFC'],
  ] as const)('registered in %s, the password logs in when typed in %s, by the token endpoint and by Basic', async (registeredIn, typedIn) => {
    const username = `composed-${registeredIn}`;
    await testApp.http().post('/auth').send({ username, password: CREME.normalize(registeredIn) }).expect(201);
    await login(username, CREME.normalize(typedIn)).expect(200);
    await testApp.http().get('/protected').set('Authorization', basic(username, CREME.normalize(typedIn))).expect(200);
  });

  it('takes the full-width form of a password for the password', async () => {
    await testApp.http().post('/auth').send({ username: 'wide-typist', password: GOOD }).expect(201);
    await login('wide-typist', fullWidth(GOOD)).expect(200);
  });

  it.each([
    ['an escape', 'escape\u001b[31m-red-password'],
    ['a NUL', 'nul\u0000-terminated-password'],
    ['a carriage return', 'carriage\r-return-password'],
  ])('refuses a new password with a control character (%s) with 400, and stores nothing', async (_, password) => {
    const response = await testApp.http().post('/auth').send({ username: 'controlled', password }).expect(400);
    expect(response.body.message).toEqual(['password must be at most 72 bytes of UTF-8 once normalised (NFKC), without control characters']);
  });

  it.each([
    ['decomposed (NFD, as some keyboards send it)', CREME.normalize('NFD'), CREME.normalize('NFC')],
    ['in full-width forms', fullWidth('legacy-secret-42'), 'legacy-secret-42'],
  ])(
    'keeps a password hashed before normalisation working: typed as then (%s), it logs in, is rehashed in NFKC, and the login and sessions live on',
    async (_, asTyped, normalised) => {
      const username = `legacy-${asTyped.length}`;
      const { accessToken } = await registerAndLogin(testApp, username, GOOD);
      // As a release before normalisation stored it: bcrypt of the password as typed.
      const legacyHash = bcrypt.hashSync(asTyped, 4);
      await users().update({ username }, { passwordHash: legacyHash });
      const before = await users().findOneByOrFail({ username });
      await login(username, normalised).expect(401);

      await login(username, asTyped).expect(200);
      const after = await users().findOneByOrFail({ username });
      expect(after.passwordHash).not.toBe(legacyHash);
      expect(bcrypt.compareSync(normalised, after.passwordHash)).toBe(true);
      // A rehash is not a password change: the credentials version stays, and so does every login.
      expect(after.credentialsVersion).toBe(before.credentialsVersion);
      await testApp.http().get('/protected').set('Authorization', `Bearer ${accessToken}`).expect(200);
      await login(username, normalised).expect(200);
      await login(username, asTyped).expect(200);
      await testApp.http().get('/protected').set('Authorization', basic(username, normalised)).expect(200);
    },
  );

  it('keeps an old password with a zero-width character working, though a new one may not have it', async () => {
    const password = 'joined\u200dwords-of-old';
    await testApp.http().post('/auth').send({ username: 'joiner', password }).expect(400);
    await registerAndLogin(testApp, 'joiner', GOOD);
    await users().update({ username: 'joiner' }, { passwordHash: bcrypt.hashSync(password, 4) });
    await login('joiner', password).expect(200);
  });
});

describe('the OpenAPI document', () => {
  it('says the rule in the description of every password field that sets a password', async () => {
    const { body } = await testApp.http().get('/docs-json').expect(200);
    const schemas = body.components.schemas as Record<string, { properties: Record<string, { description?: string }> }>;
    for (const description of [schemas.RegisterDto.properties.password.description, schemas.ChangePasswordDto.properties.newPassword.description]) {
      expect(description).toContain('At least PASSWORD_MIN_LENGTH characters');
      expect(description).toContain('at most 72 bytes of UTF-8');
      expect(description).toContain('No composition rules');
      expect(description).toContain('contains the username');
      expect(description).toContain('100,000 most common passwords');
      expect(description).toContain('PASSWORD_BREACH_CHECK=hibp');
    }
  });
});

/** A built program on the suite's policy. */
const runBuilt = (script: string, args: string[], env: Record<string, string>) => runBuiltProgram(script, args, { ...POLICY, ...env });

describe('npm run user:create under the password policy', () => {
  let database: Awaited<ReturnType<typeof createSharedDatabase>>;
  beforeAll(async () => {
    database = await createSharedDatabase();
  });
  afterAll(() => database.drop());

  it.each(REFUSALS)('refuses %s with one line and exit code 1, and stores nothing', async (what, passwordFor, why) => {
    const username = nameFor('Tool', what);
    const createUser = (userPassword: string) => runBuilt('dist/src/cli/create-user.js', [username], { DATABASE_URL: database.url, USER_PASSWORD: userPassword });
    expect(await createUser(passwordFor(username))).toMatchObject({ code: 1, stdout: '', stderr: `user:create: the password ${why}\n` });
    expect(await createUser(GOOD)).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^Created user "${username}" with id \\d+\\.\\n$`)) });
  });
});

describe('the bootstrap admin under the password policy', () => {
  const ADMIN = 'Root_Admin';
  let database: Awaited<ReturnType<typeof createSharedDatabase>>;
  beforeAll(async () => {
    database = await createSharedDatabase();
  });
  afterAll(() => database.drop());

  it.each(REFUSALS)('stops start-up with one line on %s, and creates no admin', async (_, passwordFor, why) => {
    const start = await runBuilt('dist/src/main.js', [], { DATABASE_URL: database.url, ADMIN_USERNAME: ADMIN, ADMIN_PASSWORD: passwordFor(ADMIN) });
    expect(start.code).toBe(1);
    expect(start.stderr).toBe(`gatehouse: configuration error: ADMIN_PASSWORD ${why}\n`);
  });

  it('creates the admin once its password passes: the refused starts created none', async () => {
    const server = await startServer({ ...POLICY, DATABASE_URL: database.url, ADMIN_USERNAME: ADMIN, ADMIN_PASSWORD: GOOD });
    try {
      const response = await fetch(`${server.baseUrl}/protected-admin`, { headers: { Authorization: basic(ADMIN, GOOD) } });
      expect(response.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
