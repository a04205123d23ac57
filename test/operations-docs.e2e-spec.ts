import { existsSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectShown, runAsWritten, shellBlocks, withNewlines } from './helpers/docs-commands.js';
import { freePort } from './helpers/listening-app.js';
import { adminQuery, createTemporaryDatabase, POSTGRES_URL, postgresSkipReason } from './helpers/postgres.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * docs/operations.md's audit trail and metrics commands, followed as
 * written: the admin is the README's, the metrics token goes through a `.env`
 * in the service's working folder and curl reads it back from there, and
 * every output the page shows after `# → ` is matched (`…`: anything). Then
 * "Backups and upgrades" on SQLite: a copy of a running service's database,
 * the service stopped, the copy restored, the service started on it.
 */
const PAGE = 'docs/operations.md';
const README_URL = 'http://127.0.0.1:3000';

function blockOf(heading: string): string {
  const page = readFileSync(PAGE, 'utf8');
  const start = page.indexOf(heading);
  expect(start, heading).toBeGreaterThan(-1);
  return /```sh\n([\s\S]*?)```/.exec(page.slice(start))![1];
}
const bash = (script: string, cwd: string) => runAsWritten(script, { cwd });

const folder = mkdtempSync(join(tmpdir(), 'gatehouse-operations-'));
const postgresSkip = await postgresSkipReason();
const metrics = blockOf('### Metrics and alerting');
const metricsLines = metrics.split('\n');
let server: RunningServer;

beforeAll(async () => {
  // The page's lines before `npm start` (the token into .env), then the service started in that folder, as `npm start` would.
  const startAt = metricsLines.findIndex((line) => line.startsWith('npm start'));
  expect(startAt).toBeGreaterThan(0);
  await bash(metricsLines.slice(0, startAt).join('\n'), folder);
  const walkThroughStart = /```sh\n(ADMIN_USERNAME=\S+ ADMIN_PASSWORD=\S+) npm start/.exec(readFileSync('README.md', 'utf8'))![1];
  const admin = Object.fromEntries(walkThroughStart.split(' ').map((pair) => pair.split('=')));
  server = await startServer({ ...admin, DATABASE_URL: `sqlite:${join(folder, 'app.sqlite')}` }, { cwd: folder });
  // Something to find: an account, and three failed logins.
  const form = (password: string) => new URLSearchParams({ grant_type: 'password', username: 'alice', password });
  expect((await fetch(`${server.baseUrl}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'correct-horse' }) })).status).toBe(201);
  for (let attempt = 0; attempt < 3; attempt++) expect((await fetch(`${server.baseUrl}/auth/token`, { method: 'POST', body: form('wrong-horse') })).status).toBe(401);
}, 60_000);
afterAll(() => server?.stop());

describe(`${PAGE}, followed as written`, () => {
  it('reads the failed logins of the audit trail as the README’s admin', async () => {
    const block = blockOf('### Audit trail');
    // Audit events are stored just after the answer: give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stdout = await bash(withNewlines(block).replaceAll(README_URL, server.baseUrl), folder);
    expectShown(stdout, block);
    expect(stdout).toContain('"username":"alice"');
  });

  it('scrapes /metrics with the token the service read from .env', async () => {
    const after = metricsLines.slice(metricsLines.findIndex((line) => line.startsWith('npm start')) + 1).join('\n');
    const stdout = await bash(after.replaceAll(README_URL, server.baseUrl), folder);
    expectShown(stdout, metrics);
  });
});

describe(`${PAGE}, "Backups and upgrades", followed as written`, () => {
  // A Gatehouse folder of its own: data/ is the default DATABASE_URL's, and node -e finds the sqlite3 module in node_modules.
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-backup-'));
  symlinkSync(resolve('node_modules'), join(home, 'node_modules'));
  const DEFAULT_DATABASE = { DATABASE_URL: 'sqlite:data/app.sqlite' };
  const [backup, restore, postgres] = shellBlocks(PAGE, '## Backups and upgrades');
  const servers: RunningServer[] = [];
  afterAll(() => Promise.all(servers.map((running) => running.stop())));

  const post = (baseUrl: string, path: string, body: Record<string, string>) =>
    fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const logIn = (baseUrl: string, username: string) => post(baseUrl, '/auth/token', { grant_type: 'password', username, password: 'correct-horse' });

  it('copies a running service’s database; restored, it keeps what was there before the copy (a token, a login), not what came after', async () => {
    expect(restore.trim().split('\n').at(-1)).toBe('npm start');
    // The same port before and after, so the same issuer (PUBLIC_URL's default): as on a real host.
    const settings = { ...DEFAULT_DATABASE, PORT: String(await freePort()) };
    const before = await startServer(settings, { cwd: home });
    servers.push(before);
    expect((await post(before.baseUrl, '/auth', { username: 'alice', password: 'correct-horse' })).status).toBe(201);
    const { access_token: token } = (await (await logIn(before.baseUrl, 'alice')).json()) as { access_token: string };

    await bash(backup, home);
    for (const file of ['app.sqlite', 'key-encryption-secret']) expect(statSync(join(home, 'backup', file)).mode & 0o777, file).toBe(0o600);
    expect((await post(before.baseUrl, '/auth', { username: 'bob', password: 'correct-horse' })).status).toBe(201);
    expect(await before.stop()).toBe(0);

    // The page's lines up to `npm start`, then the service as `npm start` runs it, in that folder.
    await bash(restore.slice(0, restore.lastIndexOf('npm start')), home);
    expect(existsSync(join(home, 'data-before-restore', 'app.sqlite'))).toBe(true);
    for (const file of ['app.sqlite', 'key-encryption-secret']) expect(statSync(join(home, 'data', file)).mode & 0o777, file).toBe(0o600);
    const after = await startServer(settings, { cwd: home });
    servers.push(after);
    const greeting = await fetch(`${after.baseUrl}/`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await greeting.json()).toEqual({ message: 'Hello, alice with ID: 1!' });
    expect((await logIn(after.baseUrl, 'alice')).status).toBe(200);
    expect(await (await logIn(after.baseUrl, 'bob')).json()).toMatchObject({ error: 'invalid_grant' });
  }, 60_000);

  it.skipIf(postgresSkip)('PostgreSQL: dumps a running service’s database, restores it into a new one, and the service on it keeps what was there before the dump', async () => {
    const source = await createTemporaryDatabase();
    const restored = `${source.name}_restored`;
    const server = new URL(POSTGRES_URL);
    server.pathname = '/';
    // The page's server and database names, in this suite's: its database, and a new one beside it.
    const script = postgres
      .replaceAll('gatehouse_restored', restored)
      .replaceAll('postgres://gatehouse@db.example.com/gatehouse)', `${source.url})`)
      .replaceAll('postgres://gatehouse@db.example.com/', server.toString());
    expect(script).not.toContain('example.com');
    const folder = mkdtempSync(join(tmpdir(), 'gatehouse-pg-backup-'));
    const settings = { PORT: String(await freePort()) };
    try {
      const before = await startServer({ ...settings, DATABASE_URL: source.url }, { cwd: folder });
      servers.push(before);
      expect((await post(before.baseUrl, '/auth', { username: 'alice', password: 'correct-horse' })).status).toBe(201);
      const { access_token: token } = (await (await logIn(before.baseUrl, 'alice')).json()) as { access_token: string };
      await bash(script, folder);
      expect((await post(before.baseUrl, '/auth', { username: 'bob', password: 'correct-horse' })).status).toBe(201);
      expect(await before.stop()).toBe(0);

      const restoredUrl = new URL(source.url);
      restoredUrl.pathname = `/${restored}`;
      const after = await startServer({ ...settings, DATABASE_URL: restoredUrl.toString() }, { cwd: folder });
      servers.push(after);
      const greeting = await fetch(`${after.baseUrl}/`, { headers: { Authorization: `Bearer ${token}` } });
      expect(await greeting.json()).toEqual({ message: 'Hello, alice with ID: 1!' });
      expect((await logIn(after.baseUrl, 'alice')).status).toBe(200);
      expect(await (await logIn(after.baseUrl, 'bob')).json()).toMatchObject({ error: 'invalid_grant' });
      expect(await after.stop()).toBe(0);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${restored} WITH (FORCE)`);
      await source.drop();
    }
  }, 60_000);
});
