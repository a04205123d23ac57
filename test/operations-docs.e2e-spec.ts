import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectShown, runAsWritten, withNewlines } from './helpers/docs-commands.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * docs/operations.md's audit trail and metrics commands, followed as
 * written: the admin is the README's, the metrics token goes through a `.env`
 * in the service's working folder and curl reads it back from there, and
 * every output the page shows after `# → ` is matched (`…`: anything).
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
