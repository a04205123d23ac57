import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from './helpers/app.js';

// These run the built program (npm test builds first), as a user would.
const run = promisify(execFile);
const directory = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
const env = { ...process.env, DATABASE_URL: `sqlite:${join(directory, 'app.sqlite')}`, BCRYPT_ROUNDS: '4' };

function createUser(args: string[], extraEnv: Record<string, string> = {}, input?: string) {
  const child = run('node', ['dist/src/cli/create-user.js', ...args], { env: { ...env, ...extraEnv } });
  if (input !== undefined) child.child.stdin!.end(input);
  return child.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('npm run user:create', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    expect(await createUser(['boss', '--admin'], {}, 'boss-password\n')).toMatchObject({ code: 0, stdout: 'Created admin "boss" with id 1.\n' });
    expect(await createUser(['worker'], { USER_PASSWORD: 'worker-password' })).toMatchObject({ code: 0, stdout: 'Created user "worker" with id 2.\n' });
    testApp = await createTestApp({ DATABASE_URL: env.DATABASE_URL });
  });
  afterAll(() => testApp.close());

  it('creates an admin (password from stdin) and a user (password from USER_PASSWORD) the service accepts', async () => {
    await testApp.http().get('/protected-admin').set('Authorization', basic('boss', 'boss-password')).expect(200);
    await testApp.http().get('/protected-admin').set('Authorization', basic('worker', 'worker-password')).expect(403);
  });

  it.each([
    [['BOSS'], { USER_PASSWORD: 'another-password' }, 'user:create: the username "BOSS" is already taken\n'],
    [['x'], { USER_PASSWORD: 'another-password' }, 'user:create: the username must be 3 to 64 characters from A-Z a-z 0-9 . _ -\n'],
    [['shorty'], { USER_PASSWORD: 'short' }, 'user:create: the password must be 8 to 72 bytes of UTF-8, without control characters\n'],
    [['someone'], { USER_PASSWORD: 'another-password', BCRYPT_ROUNDS: 'many' }, 'user:create: configuration error: BCRYPT_ROUNDS must be a whole number from 4 to 31 (got "many")\n'],
  ])('refuses %j with one clear line and exit code 1', async (args, extraEnv, stderr) => {
    expect(await createUser(args, extraEnv)).toMatchObject({ code: 1, stderr });
  });
});

describe('start-up with bad configuration', () => {
  it('stops with exit code 1 and one line naming the variable', async () => {
    const result = await run('node', ['dist/src/main.js'], { env: { ...env, JWT_SECRET: 'too-short' } }).catch((error) => error);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('gatehouse: configuration error: JWT_SECRET must be at least 32 bytes long\n');
  });
});
