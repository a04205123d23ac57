// npm run soak: the mixed workload of an authorization server, sustained, on a
// fresh Gatehouse (the built service, both cores, SQLite): does it answer
// every request, and does its memory level off? Each of SOAK_WORKERS workers
// loops until the time is up:
//   a person signs in on the hosted login page (GET /authorize, the form, POST: one bcrypt hash),
//   3 codes minted through that session and exchanged (PKCE, id token, refresh token),
//   a chain of 5 refreshes (rotation), 5 client_credentials grants,
//   5 introspections of the latest access token, and the refresh token revoked.
// Reports the requests, the errors (any unexpected answer) and the server's
// RSS (sampled every 5 s): the median of the samples around the half-way
// point against the median at the end, and the range over the last half.
// Writes bench/soak.md; exits 1 on any error.
//
// SOAK_MINUTES (default 10), SOAK_WORKERS (default 8), SOAK_BCRYPT_ROUNDS
// (default 4: the soak is about errors and memory, not hash time),
// SOAK_MAX_GROWTH (per cent, default 5: the target of issue 30).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchBrowser, exchange, registerClients, secretBasic } from './oauth-flows.mjs';
import { SERVICE_NODE_FLAGS } from './service-command.mjs';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 8);
const MAX_GROWTH = Number(process.env.SOAK_MAX_GROWTH ?? 5);
const ADMIN = { username: 'soak-admin', password: 'orchard-lantern-quartz-5d1e' };
const directory = mkdtempSync(join(tmpdir(), 'gatehouse-soak-'));

const child = spawn('taskset', ['-c', `0-${cpus().length - 1}`, process.execPath, ...SERVICE_NODE_FLAGS, 'dist/src/main.js'], {
  env: {
    ...process.env,
    PORT: '0',
    DATABASE_URL: `sqlite:${join(directory, 'soak.sqlite')}`,
    BCRYPT_ROUNDS: process.env.SOAK_BCRYPT_ROUNDS ?? '4',
    JWT_ISSUER: 'gatehouse-soak',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    THROTTLE_LOGIN_FAILURES: '1000000',
    THROTTLE_ADDRESS_FAILURES: '1000000',
    THROTTLE_ACCOUNT_FAILURES: '1000000',
    THROTTLE_REGISTRATIONS: '1000000',
    // Every worker speaks from 127.0.0.1: the per-address admission of password hashes would queue them.
    HASH_CONCURRENCY_PER_ADDRESS: String(2 * WORKERS),
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const base = await new Promise((resolve, reject) => {
  let output = '';
  const look = (chunk) => {
    output += chunk;
    const match = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match) resolve(match[1]);
  };
  child.stdout.on('data', look);
  child.stderr.on('data', look);
  child.once('exit', (code) => reject(new Error(`Gatehouse exited with ${code}:\n${output}`)));
});
// The request log goes on being written: read it away so the pipe never blocks the server.
child.stdout.resume();
child.stderr.resume();

const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const counts = { requests: 0, errors: 0, logins: 0, exchanges: 0, refreshes: 0, clientCredentials: 0, introspections: 0, revocations: 0 };
const errors = new Map();
const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** One request; an answer other than 2xx is an error (counted by what it was). */
async function call(what, path, init) {
  counts.requests++;
  const response = await fetch(`${base}${path}`, init);
  const body = await response.text();
  if (!response.ok) throw new Error(`${what}: ${response.status} ${body.slice(0, 200)}`);
  return body ? JSON.parse(body) : null;
}

try {
  const adminBasic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
  const { web, machine } = await registerClients(base, adminBasic);
  const ends = Date.now() + MINUTES * 60_000;

  const worker = async (index) => {
    const person = { username: `soak-${index}`, password: `soak-password-${index}-long` };
    await call('register', '/auth', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(person) });
    while (Date.now() < ends) {
      try {
        const browser = new BenchBrowser();
        // signIn, codes and exchange make their own requests (3 for the login, 1 per code, 1 per exchange).
        await browser.signIn(base, web, person);
        counts.requests += 3;
        counts.logins++;
        const codes = await browser.codes(base, web, 3, 1);
        const tokens = await exchange(base, web, codes);
        counts.requests += 6;
        counts.exchanges += 3;
        let latest = tokens.at(-1);
        for (let step = 0; step < 5; step++) {
          latest = await call('refresh', '/auth/token', { method: 'POST', headers: { ...form, authorization: secretBasic(web) }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: latest.refresh_token }) });
          counts.refreshes++;
        }
        for (let step = 0; step < 5; step++) {
          await call('client_credentials', '/auth/token', { method: 'POST', headers: { ...form, authorization: secretBasic(machine) }, body: 'grant_type=client_credentials' });
          counts.clientCredentials++;
        }
        for (let step = 0; step < 5; step++) {
          const answer = await call('introspection', '/auth/introspect', { method: 'POST', headers: { ...form, authorization: secretBasic(web) }, body: new URLSearchParams({ token: latest.access_token }) });
          if (!answer.active) throw new Error('introspection: a fresh access token is not active');
          counts.introspections++;
        }
        await call('revocation', '/auth/revoke', { method: 'POST', headers: { ...form, authorization: secretBasic(web) }, body: new URLSearchParams({ token: latest.refresh_token }) });
        counts.revocations++;
      } catch (error) {
        counts.errors++;
        const what = String(error.message).split(':')[0];
        errors.set(what, (errors.get(what) ?? 0) + 1);
        if (errors.get(what) === 1) console.error(`soak: ${error.message}`);
      }
    }
  };

  const started = Date.now();
  const rssStart = rss();
  const samples = [];
  const sampler = setInterval(() => samples.push({ minute: (Date.now() - started) / 60_000, rss: rss() }), 5000);
  await Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)));
  clearInterval(sampler);

  // The last half against its own start: the median of the samples in a window at the half-way point and at the end.
  const window = Math.max(MINUTES / 10, 10 / 60);
  const between = (from, to) => samples.filter(({ minute }) => minute >= from && minute <= to).map(({ rss: value }) => value);
  const rssHalf = median(between(MINUTES / 2, MINUTES / 2 + window));
  const rssEnd = median(between(MINUTES - window, MINUTES));
  const lastHalf = between(MINUTES / 2, MINUTES);
  const growth = (100 * (rssEnd - rssHalf)) / rssHalf;
  const report = [
    '# Soak',
    '',
    `${new Date().toISOString()} · \`npm run soak\`: ${WORKERS} workers for ${MINUTES} min on the built service (both cores, SQLite, bcrypt cost ${process.env.SOAK_BCRYPT_ROUNDS ?? '4'}).`,
    '',
    `- requests: ${counts.requests} (${(counts.requests / (MINUTES * 60)).toFixed(0)}/s): ${counts.logins} hosted-page logins, ${counts.exchanges} code exchanges, ${counts.refreshes} refreshes, ${counts.clientCredentials} client_credentials, ${counts.introspections} introspections, ${counts.revocations} revocations`,
    `- errors: ${counts.errors}${errors.size ? ` (${[...errors].map(([what, count]) => `${what} ${count}`).join(', ')})` : ''}`,
    `- RSS: ${rssStart.toFixed(0)} MB at the start; median ${rssHalf.toFixed(0)} MB at the half-way point, ${rssEnd.toFixed(0)} MB at the end (windows of ${(window * 60).toFixed(0)} s): ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} % over the last half (target ≤ ${MAX_GROWTH} %: ${growth <= MAX_GROWTH ? 'met' : 'not met'}); between ${Math.min(...lastHalf).toFixed(0)} and ${Math.max(...lastHalf).toFixed(0)} MB over the last half`,
    '',
  ].join('\n');
  writeFileSync(process.env.SOAK_OUTPUT ?? 'bench/soak.md', report);
  console.log(report);
  process.exitCode = counts.errors > 0 ? 1 : 0;
} finally {
  child.kill('SIGKILL');
}
