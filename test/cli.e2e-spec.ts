import { randomBytes } from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from './helpers/app.js';
import { runBuilt } from './helpers/server.js';

// These run the built program (npm test builds first), as a user would.
const run = promisify(execFile);
const directory = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
const env = { ...process.env, DATABASE_URL: `sqlite:${join(directory, 'app.sqlite')}`, BCRYPT_ROUNDS: '4' };

const createUser = (args: string[], extraEnv: Record<string, string> = {}, input?: string) =>
  runBuilt('dist/src/cli/create-user.js', args, { DATABASE_URL: env.DATABASE_URL, ...extraEnv }, input);

const USAGE = 'npm run user:create -- <username> [--admin | --service]';

/**
 * create-user on a terminal (`script` gives it one): each prompt is answered
 * once it shows, as a person would.
 */
async function createUserOnTerminal(args: string[], answers: string[]): Promise<{ code: number | null; output: string }> {
  const command = ['exec', process.execPath, 'dist/src/cli/create-user.js', ...args].map((word) => `'${word}'`).join(' ');
  const child = spawn('script', ['-qefc', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let answered = 0;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    // A prompt ends in ": " and waits; answer it with Enter as a terminal sends it.
    if (answered < answers.length && output.split(/Password for \S+: |The same password again: /).length - 1 > answered) child.stdin.write(`${answers[answered++]}\r`);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}

describe('npm run user:create', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    expect(await createUser(['boss', '--admin'], {}, 'corner-office-view\n')).toMatchObject({ code: 0, stdout: 'Created admin "boss" with id 1.\n' });
    expect(await createUser(['worker'], { USER_PASSWORD: 'honest-days-labour' })).toMatchObject({ code: 0, stdout: 'Created user "worker" with id 2.\n' });
    testApp = await createTestApp({ DATABASE_URL: env.DATABASE_URL });
  });
  afterAll(() => testApp.close());

  it('on a terminal asks for the password twice, hidden, and creates nothing when the two differ', async () => {
    const differ = await createUserOnTerminal(['typo'], ['typo-password', 'tpyo-password']);
    expect(differ.code).toBe(1);
    expect(differ.output).toContain('user:create: the two passwords differ; nothing was created');
    const same = await createUserOnTerminal(['careful'], ['mind-the-gap-please', 'mind-the-gap-please']);
    expect(same.code).toBe(0);
    expect(same.output).not.toContain('mind-the-gap-please');
    expect(same.output).toMatch(/Password for careful: \r?\nThe same password again: \r?\nCreated user "careful" with id \d+\./);
    await testApp.http().get('/auth/me').set('Authorization', basic('careful', 'mind-the-gap-please')).expect(200);
    await testApp.http().get('/auth/me').set('Authorization', basic('typo', 'typo-password')).expect(401);
  });

  it('creates an admin (password from stdin) and a user (password from USER_PASSWORD) the service accepts', async () => {
    await testApp.http().get('/protected-admin').set('Authorization', basic('boss', 'corner-office-view')).expect(200);
    await testApp.http().get('/protected-admin').set('Authorization', basic('worker', 'honest-days-labour')).expect(403);
  });

  it.each([
    [['BOSS'], { USER_PASSWORD: 'another-password' }, 'user:create: the username "BOSS" is already taken\n'],
    [['x'], { USER_PASSWORD: 'another-password' }, 'user:create: the username must be 3 to 64 characters from A-Z a-z 0-9 . _ -\n'],
    [['shorty'], { USER_PASSWORD: 'short' }, 'user:create: the password must be at least 8 characters\n'],
    [['someone'], { USER_PASSWORD: 'another-password', BCRYPT_ROUNDS: 'many' }, 'user:create: configuration error: BCRYPT_ROUNDS must be a whole number from 4 to 31 (got "many")\n'],
    [['someone', '--adimn'], { USER_PASSWORD: 'another-password' }, `user:create: unknown option '--adimn'; usage: ${USAGE}\n`],
    [['someone', '--admin=yes'], { USER_PASSWORD: 'another-password' }, `user:create: option '--admin' does not take an argument; usage: ${USAGE}\n`],
    [[], { USER_PASSWORD: 'another-password' }, `user:create: a username is required; usage: ${USAGE}\n`],
    [['some', 'one'], { USER_PASSWORD: 'another-password' }, `user:create: one username, not 2 (some one); usage: ${USAGE}\n`],
    [['someone', '--admin', '--service'], { USER_PASSWORD: 'another-password' }, `user:create: --admin and --service exclude each other; usage: ${USAGE}\n`],
  ])('refuses %j with one clear line and exit code 1', async (args, extraEnv, stderr) => {
    expect(await createUser(args, extraEnv)).toMatchObject({ code: 1, stderr });
  });

  it.each([[''], ['\n']])('with nothing on standard input (%j), says no password was given', async (input) => {
    expect(await createUser(['nobody-typed'], {}, input)).toMatchObject({
      code: 1,
      stderr: 'user:create: no password was given: set USER_PASSWORD, or write it as one line on standard input\n',
    });
  });
});

describe('start-up with bad configuration', () => {
  const start = (extraEnv: Record<string, string>) => run('node', ['dist/src/main.js'], { env: { ...env, ...extraEnv }, timeout: 30_000 }).catch((error) => error);

  it.each([
    [{ JWT_ALGORITHM: 'HS256', JWT_SECRET: 'too-short' }, 'JWT_SECRET must be at least 32 bytes long'],
    [{ JWT_ALGORITHM: 'RS512' }, 'JWT_ALGORITHM must be one of RS256, ES256, EdDSA, HS256 (got "RS512")'],
    [{ PUBLIC_URL: 'auth.example.com' }, 'PUBLIC_URL must be the http(s) base URL clients use, such as https://auth.example.com (got "auth.example.com")'],
    [
      { NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: '' },
      'KEY_ENCRYPTION_SECRET is required when NODE_ENV=production (at least 32 bytes; generate one with: openssl rand -base64 48)',
    ],
    [
      { NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64'), SMTP_URL: '' },
      'SMTP_URL is required when NODE_ENV=production (smtp://user:password@host:port or smtps://…), or set EMAIL_ENABLED=false to turn off e-mail addresses and password reset',
    ],
    [{ SMTP_URL: 'https://user:secret@mail.example.com' }, 'SMTP_URL must be smtp://user:password@host:port or smtps://… (the password URL-encoded)'],
    [{ MAIL_FROM: 'Gatehouse' }, 'MAIL_FROM must be an e-mail address or Name <address> (got "Gatehouse")'],
  ])('stops with exit code 1 and one line naming the variable: %j', async (extraEnv, message) => {
    const result = await start(extraEnv);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`gatehouse: configuration error: ${message}\n`);
  });

  it('stops with one line when KEY_ENCRYPTION_SECRET does not decrypt the signing keys in the database', async () => {
    const database = `sqlite:${join(mkdtempSync(join(tmpdir(), 'gatehouse-keys-')), 'app.sqlite')}`;
    // The first start creates a signing key under one secret…
    const first = await run('node', ['dist/src/cli/rotate-keys.js'], { env: { ...env, DATABASE_URL: database, KEY_ENCRYPTION_SECRET: 'the-first-secret-of-at-least-32-bytes!!' } });
    expect(first.stdout).toMatch(/^Published signing key [A-Za-z0-9_-]{43} \(RS256, generation 2\)/);
    // …an instance given another cannot use them.
    const result = await start({ DATABASE_URL: database, KEY_ENCRYPTION_SECRET: 'another-secret-of-at-least-32-bytes!!!' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('gatehouse: configuration error: KEY_ENCRYPTION_SECRET does not decrypt the signing keys in the database: give this instance the secret the others use\n');
    // keys:rotate too.
    const rotation = await run('node', ['dist/src/cli/rotate-keys.js'], { env: { ...env, DATABASE_URL: database, KEY_ENCRYPTION_SECRET: 'another-secret-of-at-least-32-bytes!!!' } }).catch((error) => error);
    expect(rotation.code).toBe(1);
    expect(rotation.stderr).toBe('keys:rotate: configuration error: KEY_ENCRYPTION_SECRET does not decrypt the signing keys in the database: give this instance the secret the others use\n');
  });
});

describe('--help on every command', () => {
  it.each([
    ['dist/src/cli/create-user.js', `Usage: ${USAGE}`],
    ['dist/src/cli/rotate-keys.js', 'Usage: npm run keys:rotate'],
    ['dist/src/cli/create-client.js', 'Usage: npm run client:create -- --name <name>'],
  ])('%s prints its usage and exits 0, touching nothing', async (script, usage) => {
    for (const flag of ['--help', '-h']) {
      // No database: help must not need one.
      const result = await runBuilt(script, [flag], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout.startsWith(usage)).toBe(true);
    }
  });

  it('keys:rotate refuses arguments with one line and its usage', async () => {
    expect(await runBuilt('dist/src/cli/rotate-keys.js', ['now'], { DATABASE_URL: env.DATABASE_URL })).toMatchObject({
      code: 1,
      stderr: "keys:rotate: takes no arguments; it uses the service's environment; usage: npm run keys:rotate\n",
    });
  });
});

describe('npm run keys:rotate', () => {
  it('with JWT_ALGORITHM=HS256 rotates the RS256 keys that sign id tokens (JWT_SECRET is not a stored key)', async () => {
    const database = `sqlite:${join(mkdtempSync(join(tmpdir(), 'gatehouse-keys-')), 'app.sqlite')}`;
    const hs256 = { ...env, DATABASE_URL: database, JWT_ALGORITHM: 'HS256', JWT_SECRET: 'a-shared-secret-of-at-least-32-bytes!!', KEY_ENCRYPTION_SECRET: 'the-first-secret-of-at-least-32-bytes!!' };
    const rotation = await run('node', ['dist/src/cli/rotate-keys.js'], { env: hs256 });
    expect(rotation.stdout).toMatch(/^Published signing key [A-Za-z0-9_-]{43} \(RS256, generation 2\)/);
  });
});
