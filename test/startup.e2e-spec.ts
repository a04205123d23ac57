import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POSTGRES_URL, postgresSkipReason } from './helpers/postgres.js';
import { runServerUntilExit, startServer, type ServerProcessOptions, type StoppedServer } from './helpers/server.js';

const temporaryFolder = () => mkdtempSync(join(tmpdir(), 'gatehouse-startup-'));

interface UnwritableFolder {
  parent: string;
  /** The user the service runs as. */
  options: ServerProcessOptions;
  /** What mkdir fails with there. */
  code: 'EACCES' | 'EPERM';
  release: () => void;
}

const NOBODY = { uid: 65534, gid: 65534 };

/**
 * A folder the service cannot create its data folder in. Root writes
 * everywhere, whatever the mode: as root, the folder is shown to another user
 * (nobody), who must be able to run Node and read dist/, which it cannot when
 * the checkout lies in a 0700 folder such as /root; then the folder is made
 * immutable instead (chattr +i, which binds root too: mkdir fails with EPERM);
 * where neither can be done, the reason to skip.
 */
function unwritableFolder(): UnwritableFolder | string {
  const parent = temporaryFolder();
  chmodSync(parent, 0o555);
  if (process.getuid?.() !== 0) return { parent, options: {}, code: 'EACCES', release: () => undefined };
  const probe = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(resolve('dist/src/main.js'))}, 4)`], { ...NOBODY, stdio: 'ignore' });
  if (probe.status === 0) return { parent, options: NOBODY, code: 'EACCES', release: () => undefined };
  if (spawnSync('chattr', ['+i', parent], { stdio: 'ignore' }).status === 0) {
    return { parent, options: {}, code: 'EPERM', release: () => spawnSync('chattr', ['-i', parent], { stdio: 'ignore' }) };
  }
  return `skipped: run as root, the test needs another user to show an unwritable folder, and nobody (uid 65534) cannot run ${process.execPath} or read ${resolve('dist')} (the checkout is in a folder other users cannot enter, such as /root); nor can chattr +i make a folder root cannot write on this file system. Clone Gatehouse where other users can read it to run this case.`;
}
const unwritable = unwritableFolder();
const postgresMissing = await postgresSkipReason();
if (typeof unwritable === 'string') console.warn(unwritable);
/** What every start-up error must look like: the one line on stderr, no stack anywhere, exit code 1. */
function expectOneLine(result: StoppedServer, line: string): void {
  expect(result.stderr).toBe(`gatehouse: ${line}\n`);
  expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
  expect(result.code).toBe(1);
}

describe('a start-up that cannot go on says what to fix in one line and exits 1', () => {
  it.skipIf(typeof unwritable === 'string')('when the data folder cannot be written', async () => {
    const { parent, options, code, release } = unwritable as UnwritableFolder;
    try {
      const result = await runServerUntilExit({ DATABASE_URL: `sqlite:${parent}/data/app.sqlite` }, options);
      expectOneLine(
        result,
        `configuration error: DATABASE_URL keeps the data in ${parent}/data, and this user cannot mkdir ${parent}/data (${code}): let this user write there, or point DATABASE_URL at a folder it can write`,
      );
      expect(result.stdout).toBe('');
    } finally {
      release();
    }
  });

  it('when the data folder cannot exist (under /proc, where a recursive mkdir used to hang)', async () => {
    const result = await runServerUntilExit({ DATABASE_URL: 'sqlite:/proc/gatehouse/app.sqlite' }, {}, 15_000);
    expectOneLine(
      result,
      'configuration error: DATABASE_URL keeps the data in /proc/gatehouse, and this user cannot mkdir /proc/gatehouse (ENOENT): let this user write there, or point DATABASE_URL at a folder it can write',
    );
  });

  it('when the port is in use, naming PORT', async () => {
    const squatter = createServer().listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const { port } = squatter.address() as { port: number };
    try {
      const result = await runServerUntilExit({ PORT: String(port) });
      expectOneLine(result, `configuration error: PORT ${port} is already in use on 127.0.0.1: stop what listens there, or set PORT to a free port (0 takes any)`);
      // Nest's own "Error: listen EADDRINUSE" line is not printed beside it.
      expect(result.stdout).not.toContain('EADDRINUSE');
    } finally {
      squatter.close();
    }
  });

  it('when HOST is not an address of this machine', async () => {
    const result = await runServerUntilExit({ HOST: '192.0.2.1', LOG_LEVEL: 'info' });
    expectOneLine(result, 'configuration error: HOST 192.0.2.1 is not an address of this machine: set HOST to 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its addresses');
    // At LOG_LEVEL=info: neither Nest's "Error: listen" line nor its module and route lines (debug) before the one line.
    expect(result.stdout).not.toMatch(/EADDRNOTAVAIL|"level":50|InstanceLoader|RouterExplorer|RoutesResolver/);
    expect(result.stdout).toContain('Nest application successfully started');
  });

  it('when TRUST_PROXY is neither a hop count nor addresses', async () => {
    const result = await runServerUntilExit({ TRUST_PROXY: 'maybe' });
    expectOneLine(
      result,
      'configuration error: TRUST_PROXY must be true, false, a hop count, or a comma-separated list of addresses, subnets (10.0.0.0/8) and loopback, linklocal, uniquelocal (got "maybe")',
    );
    expect(result.stdout).toBe('');
  });

  it('when PostgreSQL does not answer: after a bounded wait, with the attempts in the line', async () => {
    // Nothing listens on port 1: every attempt is refused.
    const result = await runServerUntilExit({ DATABASE_URL: 'postgres://gatehouse@127.0.0.1:1/gatehouse', KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64') });
    expectOneLine(
      result,
      'PostgreSQL at 127.0.0.1:1/gatehouse did not answer: 4 attempts, 2 s apart, failed (connect ECONNREFUSED 127.0.0.1:1); start the database, or correct DATABASE_URL',
    );
    // Three waits of 2 s between four attempts, and no more.
    expect(result.milliseconds).toBeGreaterThanOrEqual(6000);
    expect(result.milliseconds).toBeLessThan(20_000);
    // Nest's buffered start-up lines and its stack of the error are not printed.
    expect(result.stdout).toBe('');
  });

  it.skipIf(postgresMissing)('when the PostgreSQL database does not exist: at once, saying so', async () => {
    const url = new URL(POSTGRES_URL);
    url.pathname = '/gatehouse_no_such_database';
    const result = await runServerUntilExit({ DATABASE_URL: url.toString(), KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64') });
    expectOneLine(
      result,
      `PostgreSQL at ${url.hostname}:${url.port || 5432}/gatehouse_no_such_database answered, and has no database gatehouse_no_such_database: create it (createdb gatehouse_no_such_database), or correct the database name in DATABASE_URL`,
    );
    // No retries: one attempt, not the 6 s of waits of a database that does not answer.
    expect(result.milliseconds).toBeLessThan(6000);
    expect(result.stdout).toBe('');
  });
});

const stripColours = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');
const lastLine = (text: string) => text.trim().split(/\r?\n/).at(-1);

describe('where to go next', () => {
  it('on a terminal: readable log lines, and last the URL of Swagger UI', async () => {
    const server = await startServer({ LOG_LEVEL: 'info' }, { terminal: true });
    try {
      const output = stripColours(server.output());
      expect(output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[NestApplication\] Nest application successfully started\r?$/m);
      expect(output.split(/\r?\n/).filter((line) => line.startsWith('{'))).toEqual([]);
      expect(lastLine(output)).toBe(`Gatehouse listens on ${server.baseUrl}; Swagger UI: ${server.baseUrl}/docs`);
    } finally {
      await server.stop('SIGKILL');
    }
  });

  it('elsewhere: JSON log lines, and last the same line', async () => {
    const server = await startServer({ LOG_LEVEL: 'info' });
    try {
      expect(server.output()).toContain('{"level":30');
      // KEY_PUBLISH_AHEAD (10m) outlasts the key set's max-age: no warning.
      expect(server.output()).not.toContain('KEY_PUBLISH_AHEAD');
      expect(lastLine(server.output())).toBe(`Gatehouse listens on ${server.baseUrl}; Swagger UI: ${server.baseUrl}/docs`);
    } finally {
      await server.stop();
    }
  });
});

describe('warnings at start-up', () => {
  it('KEY_PUBLISH_AHEAD shorter than the key set\'s cache lifetime', async () => {
    const server = await startServer({ KEY_PUBLISH_AHEAD: '0', LOG_LEVEL: 'info' });
    try {
      await server.waitForOutput('KEY_PUBLISH_AHEAD is 0 s, shorter than the 300 s verifiers may cache /.well-known/jwks.json');
      expect(server.output()).toMatch(/"level":40,[^\n]*KEY_PUBLISH_AHEAD is 0 s/);
    } finally {
      await server.stop();
    }
  });
});

describe('.env and the docs settings', () => {
  it('reads .env from the working folder, where the environment wins', async () => {
    const folder = temporaryFolder();
    writeFileSync(join(folder, '.env'), '# a developer\'s settings\nDOCS_ENABLED=false\nHOST=not a host name\n');
    const server = await startServer({ HOST: '127.0.0.1', LOG_LEVEL: 'info' }, { cwd: folder });
    try {
      // HOST from the environment, DOCS_ENABLED from .env.
      expect((await fetch(`${server.baseUrl}/docs-json`)).status).toBe(404);
      expect((await fetch(`${server.baseUrl}/docs`)).status).toBe(404);
      expect((await fetch(`${server.baseUrl}/unprotected`)).status).toBe(200);
      expect(lastLine(server.output())).toBe(`Gatehouse listens on ${server.baseUrl} (Swagger UI is off: DOCS_ENABLED=false)`);
      await server.waitForOutput('Read .env: the environment wins where both set a variable.');
    } finally {
      await server.stop();
    }
  });

  it.each([
    ['in development', {}, true],
    ['in production', { NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64'), EMAIL_ENABLED: 'false' }, false],
    ['in production when asked for', { NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64'), DOCS_PERSIST_AUTHORIZATION: 'true', EMAIL_ENABLED: 'false' }, true],
  ])('Swagger UI keeps what Authorize was given across reloads %s', async (_case, env: Record<string, string>, persisted) => {
    const server = await startServer(env);
    try {
      const init = await (await fetch(`${server.baseUrl}/docs/swagger-ui-init.js`)).text();
      expect(init).toContain(`"persistAuthorization": ${persisted}`);
    } finally {
      await server.stop();
    }
  });
});
