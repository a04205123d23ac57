// npm run bench:profile: where each hot path spends its CPU. Starts the built
// service on one core (core 0) with the inspector on, sets up what the rows
// need (a person, a web client and a machine client, a hosted-login session,
// authorization codes), and for each row sends a fixed number of requests
// twice from this process (autocannon, 32 connections):
//   1. unprofiled: the server's CPU time for those requests (user + system,
//      from /proc, all its threads: the SQLite driver's too) → CPU ms per
//      request and requests per CPU second, which depend on the load of the
//      machine far less than req/s; and the SQL statements the requests ran
//      (bench/count-queries.mjs, by first word) per request;
//   2. under the V8 sampling profiler (Profiler.start/stop through the
//      inspector, so the profile holds that row's requests and nothing else)
//      → the functions with the most self time and the inclusive share of
//      each package.
// Writes bench/profile.md. PROFILE_ROWS=introspection,userinfo picks rows;
// PROFILE_REQUESTS scales the number of requests (default 1: the counts below);
// PROFILE_CPU_ONLY=1 skips the profiler pass (before/after comparisons);
// PROFILE_SAVE_DIR=dir keeps each row's raw profile there (<row>.cpuprofile:
// Chrome DevTools' Performance panel or speedscope draw it as a flame graph).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { BenchBrowser, exchange, exchangeBody, refreshChains, registerClients, secretBasic } from './oauth-flows.mjs';
import { SERVICE_NODE_FLAGS } from './service-command.mjs';

const SCALE = Number(process.env.PROFILE_REQUESTS ?? 1);
const CPU_ONLY = ['1', 'true', 'yes'].includes(process.env.PROFILE_CPU_ONLY ?? '');
const ONLY = process.env.PROFILE_ROWS?.split(',').map((name) => name.trim());
const CONNECTIONS = 32;
const directory = mkdtempSync(join(tmpdir(), 'gatehouse-profile-'));
const ADMIN = { username: 'profile-admin', password: 'orchard-lantern-quartz-5d1e' };
const USER = { username: 'profiled', password: 'profile-password' };

const child = spawn(
  'taskset',
  ['-c', '0', process.execPath, ...SERVICE_NODE_FLAGS, '--inspect=127.0.0.1:0', '--import', './bench/count-queries.mjs', 'dist/src/main.js'],
  {
    env: {
      ...process.env,
      PORT: '0',
      DATABASE_URL: `sqlite:${join(directory, 'app.sqlite')}`,
      BCRYPT_ROUNDS: '4',
      LOG_LEVEL: 'info',
      JWT_ISSUER: 'gatehouse-profile',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      THROTTLE_LOGIN_FAILURES: '1000000',
      THROTTLE_ADDRESS_FAILURES: '1000000',
      THROTTLE_ACCOUNT_FAILURES: '1000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
const [url, inspectorUrl] = await new Promise((resolve, reject) => {
  let output = '';
  let inspector;
  const look = (chunk) => {
    output += chunk;
    inspector ??= /(ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(output)?.[1];
    const match = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match && inspector) resolve([match[1], inspector]);
  };
  child.stdout.on('data', look);
  child.stderr.on('data', look);
  child.once('exit', (code) => reject(new Error(`Gatehouse exited with ${code}:\n${output}`)));
});
child.stdout.resume();

/** The Chrome DevTools Protocol over the inspector's WebSocket: send a command, await its answer. */
const socket = new WebSocket(inspectorUrl);
await new Promise((resolve, reject) => {
  socket.onopen = resolve;
  socket.onerror = reject;
});
let nextId = 1;
const waiting = new Map();
socket.onmessage = ({ data }) => {
  const message = JSON.parse(data);
  if (message.id && waiting.has(message.id)) {
    waiting.get(message.id)(message);
    waiting.delete(message.id);
  }
};
const send = (method, params = {}) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, (message) => (message.error ? reject(new Error(`${method}: ${message.error.message}`)) : resolve(message.result)));
    socket.send(JSON.stringify({ id, method, params }));
  });
await send('Profiler.enable');
await send('Profiler.setSamplingInterval', { interval: 200 });
const queryCounts = async () => JSON.parse((await send('Runtime.evaluate', { expression: 'JSON.stringify(globalThis.__gatehouseQueries ?? {})', returnByValue: true })).result.value);

/** The server's CPU time (user + system, every thread), in seconds. */
function cpuSeconds() {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const load = (options) =>
  new Promise((resolve, reject) => autocannon({ connections: CONNECTIONS, ...options }, (error, result) => (error ? reject(error) : resolve(result))));

async function ok(response, what) {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${(await response.text()).slice(0, 400)}`);
  return response;
}

// Setup: a person (first-party token for GET /), the clients, a hosted-login session.
await ok(await fetch(`${url}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(USER) }), 'POST /auth');
const { access_token: firstParty } = await (await ok(await fetch(`${url}/auth/token`, { method: 'POST', body: new URLSearchParams(USER) }), 'password grant')).json();
const adminBasic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
const { web, machine } = await registerClients(url, adminBasic);
const browser = new BenchBrowser();
await browser.signIn(url, web, USER);
const [clientTokens] = await exchange(url, web, await browser.codes(url, web, 1));
const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** Rows: name, request count, and the autocannon options for one pass (a function: it may prepare what the pass spends). */
const rows = [
  ['GET /', 4000, async () => ({ url: `${url}/`, headers: { authorization: `Bearer ${firstParty}` } })],
  ['client_credentials', 1500, async () => ({ url: `${url}/auth/token`, method: 'POST', headers: { ...form, authorization: secretBasic(machine) }, body: 'grant_type=client_credentials' })],
  [
    'refresh',
    800,
    // 32 chains of rotated refresh tokens, from fresh seeds (as in bench/run.mjs).
    async () => refreshChains(`${url}/auth/token`, web, (await exchange(url, web, await browser.codes(url, web, CONNECTIONS))).map((tokens) => tokens.refresh_token)),
  ],
  [
    'code exchange',
    600,
    async (count) => {
      const codes = await browser.codes(url, web, count);
      return { url: `${url}/auth/token`, method: 'POST', headers: { ...form, authorization: secretBasic(web) }, requests: [{ setupRequest: (request) => ({ ...request, body: exchangeBody(codes.pop()) }) }] };
    },
  ],
  [
    'introspection',
    2000,
    async () => ({
      url: `${url}/auth/introspect`,
      method: 'POST',
      headers: { ...form, authorization: secretBasic(web) },
      body: new URLSearchParams({ token: clientTokens.access_token }).toString(),
    }),
  ],
  ['userinfo', 3000, async () => ({ url: `${url}/auth/userinfo`, headers: { authorization: `Bearer ${clientTokens.access_token}` } })],
].filter(([name]) => !ONLY || ONLY.includes(name));

const nameOf = (node) => {
  const { functionName, url: file, lineNumber } = node.callFrame;
  const where = file ? file.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, 'dist/') : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
};
const packageOf = (node) => {
  const file = node.callFrame.url;
  if (!file) return node.callFrame.functionName.startsWith('(') ? node.callFrame.functionName : 'node (native)';
  if (file.startsWith('node:')) return 'node (lib)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  return match ? match[1] : file.includes('/dist/') ? 'gatehouse (dist/)' : file;
};

/** Self time by function and inclusive time by package, as shares of the busy (non-idle) samples. */
function summarise(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const id of node.children ?? []) parents.set(id, node.id);
  const selfTicks = new Map();
  for (const sample of profile.samples) selfTicks.set(sample, (selfTicks.get(sample) ?? 0) + 1);
  const self = new Map();
  const inclusive = new Map();
  let busy = 0;
  for (const [id, ticks] of selfTicks) {
    const name = nameOf(byId.get(id));
    if (name === '(idle)') continue;
    busy += ticks;
    self.set(name, (self.get(name) ?? 0) + ticks);
    const seen = new Set();
    for (let current = id; current !== undefined; current = parents.get(current)) seen.add(packageOf(byId.get(current)));
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + ticks);
  }
  const top = (map, count) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, ticks]) => [name, (100 * ticks) / busy]);
  return { busy, self: top(self, 20), inclusive: top(inclusive, 15) };
}

const report = [
  '# Profiles of the hot paths',
  '',
  `${new Date().toISOString()} · \`npm run bench:profile\`: the built service on one core (SQLite), autocannon 32 connections, a fixed number of requests per row, sent twice: unprofiled (CPU per request, SQL statements per request) and under the V8 sampling profiler (200 µs). Shares are of the busy samples (idle left out). Server CPU is user + system of every thread of the process (the SQLite driver's pool too).`,
  '',
  '| row | requests | CPU ms / request | requests / CPU s | SQL statements / request |',
  '| --- | ---: | ---: | ---: | --- |',
];
const sections = [];
try {
  for (const [name, baseCount, prepare] of rows) {
    const count = Math.round(baseCount * SCALE);
    // Warm-up: JIT and caches, then the measured pass.
    await load({ ...(await prepare(200)), amount: 200 });
    const options = await prepare(count);
    const queriesBefore = await queryCounts();
    const cpuBefore = cpuSeconds();
    const measured = await load({ ...options, amount: count });
    const cpu = cpuSeconds() - cpuBefore;
    const queriesAfter = await queryCounts();
    const bad = measured.non2xx + measured.errors + measured.timeouts;
    if (bad > 0) throw new Error(`${name}: ${bad} failed of ${measured.requests.total} (${JSON.stringify(measured.statusCodeStats)})`);
    const queries = Object.entries(queriesAfter)
      .map(([kind, total]) => [kind, (total - (queriesBefore[kind] ?? 0)) / count])
      .filter(([, perRequest]) => perRequest > 0.005)
      .sort((a, b) => b[1] - a[1]);
    const perRequest = queries.reduce((sum, [, value]) => sum + value, 0);
    const queryText = `${perRequest.toFixed(2)} (${queries.map(([kind, value]) => `${kind} ${value.toFixed(2)}`).join(', ')})`;
    report.push(`| ${name} | ${count} | ${((1000 * cpu) / count).toFixed(2)} | ${(count / cpu).toFixed(0)} | ${queryText} |`);
    console.log(`${name}: ${count} requests, ${((1000 * cpu) / count).toFixed(2)} CPU ms each (${(count / cpu).toFixed(0)} per CPU second); SQL per request ${queryText}`);

    if (CPU_ONLY) continue;
    const profiled = await prepare(count);
    await send('Profiler.start');
    await load({ ...profiled, amount: count });
    const { profile } = await send('Profiler.stop');
    if (process.env.PROFILE_SAVE_DIR) writeFileSync(join(process.env.PROFILE_SAVE_DIR, `${name.replace(/\W+/g, '-')}.cpuprofile`), JSON.stringify(profile));
    const { busy, self, inclusive } = summarise(profile);
    sections.push(
      `## ${name}`,
      '',
      `${busy} busy samples.`,
      '',
      '| function (most self time) | self |',
      '| --- | ---: |',
      ...self.map(([fn, share]) => `| \`${fn}\` | ${share.toFixed(1)} % |`),
      '',
      '| package (inclusive: a sample counts once for every package on its stack) | inclusive |',
      '| --- | ---: |',
      ...inclusive.map(([pkg, share]) => `| \`${pkg}\` | ${share.toFixed(1)} % |`),
      '',
    );
  }
} finally {
  socket.close();
  child.kill('SIGKILL');
}
const text = [...report, '', ...sections].join('\n');
writeFileSync(process.env.PROFILE_OUTPUT ?? 'bench/profile.md', text);
console.log(text);
