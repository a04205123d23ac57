// npm run bench: Gatehouse beside a Fastify reference, in the same run, on this
// machine. Servers are pinned to core 0 (login rows: both cores), the load
// generator (this process, autocannon) to core 1. Several rounds, medians,
// ratios to the reference. Writes bench/results.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import autocannon from 'autocannon';
import bcrypt from 'bcryptjs';
import { decodeJwt, SignJWT } from 'jose';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 32;
const BCRYPT_ROUNDS = Number(process.env.BENCH_BCRYPT_ROUNDS ?? 12);
const JWT_SECRET = 'bench-secret-of-at-least-thirty-two-bytes!';
const USER = { username: 'bencher', password: 'bench-password-1' };

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
// 'all' must be explicit: a child inherits this process's pinning to core 1.
const pinned = (cores, command, args) => ['taskset', ['-c', cores === 'all' ? `0-${cpus().length - 1}` : String(cores), command, ...args]];

function start(name, script, core, env) {
  const [command, args] = pinned(core, process.execPath, [script]);
  const child = spawn(command, args, { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ name, url: match[1], child, stop: () => child.kill('SIGKILL') });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
    setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 30_000).unref();
  });
}

/** The server's resident memory in MB, from /proc (taskset execs node, so the pid is node's). */
function rssMegabytes(server) {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

function load(options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function measure(label, options, rounds = ROUNDS) {
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const result = await load(options);
    const bad = result.non2xx + result.errors + result.timeouts;
    if (bad > 0) throw new Error(`${label}: ${bad} failed requests of ${result.requests.total}`);
    results.push(result);
  }
  const row = {
    label,
    requestsPerSecond: median(results.map((result) => result.requests.average)),
    p50: median(results.map((result) => result.latency.p50)),
    p99: median(results.map((result) => result.latency.p99)),
  };
  console.log(`${label}: ${row.requestsPerSecond.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms`);
  return row;
}

/** The CPU time (user + system) the server's process has used, in seconds, from /proc. */
function cpuSeconds(server) {
  const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Two servers measured round by round in turn (A, B, A, B…), so a noisy
 * neighbour hits both alike: for a ratio between them. Each row also says
 * how many requests its server answered per second of its own CPU time,
 * which a busy machine disturbs far less than requests per second.
 */
async function measureInTurn(...pairs) {
  const results = pairs.map(() => ({ runs: [], perCpuSecond: [] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, [label, options, server]] of pairs.entries()) {
      const cpuBefore = cpuSeconds(server);
      const result = await load(options);
      const bad = result.non2xx + result.errors + result.timeouts;
      if (bad > 0) throw new Error(`${label}: ${bad} failed requests of ${result.requests.total}`);
      results[index].runs.push(result);
      results[index].perCpuSecond.push(result.requests.total / Math.max(0.01, cpuSeconds(server) - cpuBefore));
    }
  }
  return pairs.map(([label], index) => {
    const { runs, perCpuSecond } = results[index];
    const row = {
      label,
      requestsPerSecond: median(runs.map((result) => result.requests.average)),
      p50: median(runs.map((result) => result.latency.p50)),
      p99: median(runs.map((result) => result.latency.p99)),
      requestsPerCpuSecond: median(perCpuSecond),
    };
    console.log(`${label}: ${row.requestsPerSecond.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.requestsPerCpuSecond.toFixed(0)} requests per CPU second`);
    return row;
  });
}

async function json(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * Sustained load on a fresh Gatehouse (both cores, as deployed): does memory
 * level off? RSS at 2 minutes and at the end, within 5 % of each other.
 */
async function soakRow() {
  const soaker = await start('Gatehouse soak', 'dist/src/main.js', 'all', { ...gatehouseEnv, BCRYPT_ROUNDS: '4', DATABASE_URL: `sqlite:${join(directory, 'soak.sqlite')}` });
  const base = soaker.url;
  const ends = Date.now() + SOAK_MINUTES * 60_000;
  const counts = { requests: 0, users: 0, errors: 0 };
  const call = async (path, init) => {
    counts.requests++;
    const response = await fetch(`${base}${path}`, init);
    if (!response.ok) counts.errors++;
    return response;
  };
  const client = async (clientId) => {
    const address = `10.88.0.${clientId + 1}`;
    for (let round = 0; Date.now() < ends; round++) {
      const username = `soak-${clientId}-${round}`;
      const password = 'soak-password-1';
      const form = { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address };
      await call('/auth', { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address }, body: JSON.stringify({ username, password }) });
      counts.users++;
      const tokens = await (await call('/auth/token', { method: 'POST', headers: form, body: new URLSearchParams({ username, password }) })).json();
      for (let index = 0; index < 20; index++) await (await call('/', { headers: { authorization: `Bearer ${tokens.access_token}` } })).arrayBuffer();
      const basicAuth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      for (let index = 0; index < 20; index++) await (await call('/protected', { headers: { authorization: basicAuth, 'x-forwarded-for': address } })).arrayBuffer();
      const refreshed = await (await call('/auth/token', { method: 'POST', headers: form, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }) })).json();
      await (await call('/auth/revoke', { method: 'POST', headers: form, body: new URLSearchParams({ token: refreshed.refresh_token }) })).arrayBuffer();
    }
  };
  const rssStart = rssMegabytes(soaker);
  // RSS swings by a third between major collections (the heap holds garbage until V8 collects it), so one
  // reading says little: RSS is sampled every 5 s, and the row compares the median of the samples around
  // minute 2 (1.5 to 2.5 min) with the median of the last minute.
  const started = Date.now();
  const samples = [];
  const sampler = setInterval(() => samples.push({ minute: (Date.now() - started) / 60_000, rss: rssMegabytes(soaker) }), 5000);
  try {
    await Promise.all(Array.from({ length: SOAK_CLIENTS }, (_, clientId) => client(clientId)));
    const window = (from, to) => median(samples.filter(({ minute }) => minute >= from && minute <= to).map(({ rss }) => rss));
    const rss2 = window(1.5, 2.5);
    const rssEnd = window(SOAK_MINUTES - 1, SOAK_MINUTES);
    const range = samples.filter(({ minute }) => minute >= 2).map(({ rss }) => rss);
    const rssLow = Math.min(...range);
    const rssHigh = Math.max(...range);
    console.log(`soak: ${counts.requests} requests, ${counts.users} users, ${counts.errors} errors; RSS ${rssStart.toFixed(0)} → ${rss2.toFixed(0)} (median at 2 min) → ${rssEnd.toFixed(0)} MB (median of the last minute); from 2 min on between ${rssLow.toFixed(0)} and ${rssHigh.toFixed(0)} MB`);
    return { ...counts, rssStart, rss2, rssEnd, rssLow, rssHigh };
  } finally {
    clearInterval(sampler);
    soaker.stop();
  }
}

const loadBefore = loadavg();
const directory = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const gatehouseEnv = {
  JWT_SECRET,
  BCRYPT_ROUNDS: String(BCRYPT_ROUNDS),
  DATABASE_URL: `sqlite:${join(directory, 'bench.sqlite')}`,
  THROTTLE_LOGIN_FAILURES: '1000000',
  THROTTLE_ADDRESS_FAILURES: '1000000',
  THROTTLE_ACCOUNT_FAILURES: '1000000',
  THROTTLE_REGISTRATIONS: '1000000',
  // The storm row speaks from two client addresses through X-Forwarded-For.
  TRUST_PROXY: 'loopback',
  // One issuer for every Gatehouse process of the run (with PORT=0 it would name each one's port).
  JWT_ISSUER: 'gatehouse-bench',
};
const STORM_CONNECTIONS = 80;
/** The soak row: 8 clients for this long; RSS is read at 2 minutes and at the end. */
const SOAK_MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
const SOAK_CLIENTS = 8;
const STORM_SECONDS = Number(process.env.BENCH_STORM_SECONDS ?? 15);

const rows = [];
// Gatehouse as installed by default: RS256, keys in its database.
let gatehouse = await start('Gatehouse', 'dist/src/main.js', 0, gatehouseEnv);
const publicJwk = (await json(`${gatehouse.url}/.well-known/jwks.json`)).keys[0];
const { issuer } = await json(`${gatehouse.url}/.well-known/openid-configuration`);
const publicKey = createPublicKey({ key: publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
const reference = await start('Reference', 'bench/reference-server.mjs', 0, { JWT_SECRET, JWT_ISSUER: issuer });
// The same service on the same database with METRICS_TOKEN: /metrics on, every request observed in the duration histogram.
const metered = await start('Gatehouse with metrics', 'dist/src/main.js', 0, { ...gatehouseEnv, METRICS_TOKEN: 'bench-metrics-token-0f9c2b7a4e1d8c3b6a5f' });
const referenceRs256 = await start('Reference RS256', 'bench/reference-server.mjs', 0, { JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY: publicKey, JWT_ISSUER: issuer });
try {
  await json(`${gatehouse.url}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(USER) });
  const { access_token: token } = await json(`${gatehouse.url}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(USER).toString(),
  });
  const bearer = { authorization: `Bearer ${token}` };
  // The HS256 reference gets the same claims, signed with its secret.
  const claims = decodeJwt(token);
  const hs256Token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(JWT_SECRET));
  const hs256Bearer = { authorization: `Bearer ${hs256Token}` };
  const basicHeader = { authorization: `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}` };
  await json(`${gatehouse.url}/`, { headers: bearer });
  await json(`${reference.url}/`, { headers: hs256Bearer });
  await json(`${referenceRs256.url}/`, { headers: bearer });
  const idle = { gatehouse: rssMegabytes(gatehouse), reference: rssMegabytes(reference) };
  console.log(`idle RSS: Gatehouse ${idle.gatehouse.toFixed(0)} MB, reference ${idle.reference.toFixed(0)} MB`);

  await json(`${metered.url}/`, { headers: bearer });
  const [greetGatehouse, greetMetered] = await measureInTurn(
    ['GET / Bearer RS256, Gatehouse (1 core)', { url: `${gatehouse.url}/`, headers: bearer }, gatehouse],
    ['GET / Bearer RS256, Gatehouse with METRICS_TOKEN (1 core)', { url: `${metered.url}/`, headers: bearer }, metered],
  );
  metered.stop();
  const greetReferenceRs256 = await measure('GET / Bearer RS256, reference (1 core)', { url: `${referenceRs256.url}/`, headers: bearer });
  const greetReference = await measure('GET / Bearer HS256, reference (1 core)', { url: `${reference.url}/`, headers: hs256Bearer });
  await json(`${gatehouse.url}/protected`, { headers: basicHeader });
  const basicRow = await measure('GET /protected Basic (warm), Gatehouse (1 core)', { url: `${gatehouse.url}/protected`, headers: basicHeader });
  const loadedRss = rssMegabytes(gatehouse);

  // Gatehouse with JWT_ALGORITHM=HS256, as every install ran before signing keys: the figure RS256 must keep.
  gatehouse.stop();
  gatehouse = await start('Gatehouse HS256', 'dist/src/main.js', 0, { ...gatehouseEnv, JWT_ALGORITHM: 'HS256', DATABASE_URL: `sqlite:${join(directory, 'bench-hs256.sqlite')}` });
  await json(`${gatehouse.url}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(USER) });
  const { access_token: hsGatehouseToken } = await json(`${gatehouse.url}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(USER).toString(),
  });
  await json(`${gatehouse.url}/`, { headers: { authorization: `Bearer ${hsGatehouseToken}` } });
  const greetGatehouseHs256 = await measure('GET / Bearer HS256, Gatehouse (1 core)', { url: `${gatehouse.url}/`, headers: { authorization: `Bearer ${hsGatehouseToken}` } });

  // Login rows: the server gets both cores, as the hashing pool uses them.
  gatehouse.stop();
  gatehouse = await start('Gatehouse', 'dist/src/main.js', 'all', gatehouseEnv);
  const loginRequest = {
    url: `${gatehouse.url}/auth/token`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(USER).toString(),
  };
  // Logins come from several clients (X-Forwarded-For in turn): one address may only have a couple in flight.
  let client = 0;
  const fromSeveralClients = {
    ...loginRequest,
    requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-forwarded-for': `10.55.0.${(client++ % 16) + 1}` } }) }],
  };
  const hashTimes = [];
  for (let sample = 0; sample < 5; sample++) {
    const started = performance.now();
    bcrypt.hashSync(USER.password, BCRYPT_ROUNDS);
    hashTimes.push((performance.now() - started) / 1000);
  }
  const hashSeconds = median(hashTimes);
  // This process is pinned to one core; the machine's count is what the server's pool sees.
  const cores = cpus().length;
  const loginRow = await measure('POST /auth/token login, Gatehouse (all cores)', { ...fromSeveralClients, connections: 2 * cores });
  const [mixed] = await Promise.all([
    measure('GET / Bearer while 4 clients log in, Gatehouse (all cores)', { url: `${gatehouse.url}/`, headers: bearer, connections: 8 }, 1),
    load({ ...fromSeveralClients, connections: 4 }),
  ]);
  // A login storm from one address (wrong passwords, many connections) while a
  // user logs in from another, one login after another: how long do they wait?
  const stormRequest = {
    ...loginRequest,
    headers: { ...loginRequest.headers, 'x-forwarded-for': '10.66.0.1' },
    body: new URLSearchParams({ username: 'storm-target', password: 'wrong-password' }).toString(),
  };
  const storm = load({ ...stormRequest, connections: STORM_CONNECTIONS, duration: STORM_SECONDS });
  const victimLatencies = [];
  const stormEnds = Date.now() + STORM_SECONDS * 1000;
  while (Date.now() < stormEnds - 500) {
    const started = performance.now();
    await json(loginRequest.url, { method: 'POST', headers: { ...loginRequest.headers, 'x-forwarded-for': '10.77.0.1' }, body: loginRequest.body });
    victimLatencies.push(performance.now() - started);
  }
  const stormResult = await storm;
  const sortedVictim = [...victimLatencies].sort((a, b) => a - b);
  const stormRow = {
    label: `POST /auth/token from another address during a storm of ${STORM_CONNECTIONS} connections from one address (all cores)`,
    requestsPerSecond: victimLatencies.length / STORM_SECONDS,
    p50: Math.round(median(victimLatencies)),
    p99: Math.round(sortedVictim[Math.min(sortedVictim.length - 1, Math.floor(sortedVictim.length * 0.99))]),
  };
  const statuses = Object.entries(stormResult.statusCodeStats ?? {}).map(([status, { count }]) => `${count} × ${status}`).join(', ');
  const stormAnswers = `${victimLatencies.length} logins from the other address, one after another (p99 is their maximum below 100 samples); the storm's ${stormResult.requests.total} requests were answered ${statuses} (429: its address already had its share of the hashing pool in flight)`;
  console.log(`${stormRow.label}: p50 ${stormRow.p50} ms, p99 ${stormRow.p99} ms; ${stormAnswers}`);
  gatehouse.stop();
  const soak = await soakRow();
  const loadAfter = loadavg();

  const loginTarget = (0.9 * cores) / hashSeconds;
  const ratios = [
    ['GET / Bearer RS256 ÷ RS256 reference', greetGatehouse.requestsPerSecond / greetReferenceRs256.requestsPerSecond, 0.8, '≥'],
    ['GET / Bearer HS256 ÷ HS256 reference', greetGatehouseHs256.requestsPerSecond / greetReference.requestsPerSecond, 0.8, '≥'],
    ['GET / Bearer RS256 with metrics on ÷ off (a histogram per request), requests per second', greetMetered.requestsPerSecond / greetGatehouse.requestsPerSecond, 0.95, '≥'],
    ['GET / Bearer RS256 with metrics on ÷ off, requests per CPU second of the server', greetMetered.requestsPerCpuSecond / greetGatehouse.requestsPerCpuSecond, 0.95, '≥'],
    ['GET / Bearer RS256 ÷ Gatehouse HS256 (keeps the HS256 figure)', greetGatehouse.requestsPerSecond / greetGatehouseHs256.requestsPerSecond, 1, '≥'],
    ['GET /protected Basic (warm) ÷ HS256 reference', basicRow.requestsPerSecond / greetReference.requestsPerSecond, 0.8, '≥'],
    ['GET / Bearer RS256 p99 at 32 connections, 1 core (ms)', greetGatehouse.p99, 10, '≤'],
    [`login ÷ (0.9 × ${cores} cores ÷ ${(hashSeconds * 1000).toFixed(0)} ms hash)`, loginRow.requestsPerSecond / loginTarget, 1, '≥'],
    ['GET / p99 while logins run (ms)', mixed.p99, 25, '≤'],
    ['login from another address during a storm (p50) ÷ one hash time', stormRow.p50 / (hashSeconds * 1000), 4, '≤'],
    ['idle RSS ÷ reference', idle.gatehouse / idle.reference, 1.5, '≤'],
    [`soak: median RSS of the last minute ÷ median around 2 min`, soak.rssEnd / soak.rss2, 1.05, '≤'],
  ];
  const table = [
    `# Benchmark`,
    ``,
    `${new Date().toISOString()} · ${cpus()[0].model} × ${cores} · Node ${process.version} · bcrypt cost ${BCRYPT_ROUNDS} · ${ROUNDS} rounds of ${SECONDS} s, medians · ${CONNECTIONS} connections unless said`,
    `Load average before ${loadBefore.map((value) => value.toFixed(2)).join(' ')}, after ${loadAfter.map((value) => value.toFixed(2)).join(' ')} (high values mean a noisy run).`,
    ``,
    `| scenario | req/s | p50 ms | p99 ms |`,
    `| --- | ---: | ---: | ---: |`,
    ...[greetGatehouse, greetMetered, greetReferenceRs256, greetGatehouseHs256, greetReference, basicRow, loginRow, mixed, stormRow].map((row) => `| ${row.label} | ${row.requestsPerSecond.toFixed(row.requestsPerSecond < 10 ? 1 : 0)} | ${row.p50} | ${row.p99} |`),
    ``,
    `Idle RSS: Gatehouse ${idle.gatehouse.toFixed(0)} MB, reference ${idle.reference.toFixed(0)} MB; Gatehouse after the load ${loadedRss.toFixed(0)} MB.`,
    `Soak (${SOAK_CLIENTS} clients for ${SOAK_MINUTES} min, each round: register, log in, 20 × GET / Bearer, 20 × GET /protected Basic, refresh, revoke; bcrypt cost 4): ${soak.requests} requests, ${soak.users} new users, ${soak.errors} errors; RSS (sampled every 5 s) ${soak.rssStart.toFixed(0)} MB at the start, median ${soak.rss2.toFixed(0)} MB around 2 min, median ${soak.rssEnd.toFixed(0)} MB over the last minute; between ${soak.rssLow.toFixed(0)} and ${soak.rssHigh.toFixed(0)} MB from 2 min on.`,
    `During the storm row, ${stormAnswers}.`,
    `One bcrypt hash at cost ${BCRYPT_ROUNDS}: ${(hashSeconds * 1000).toFixed(0)} ms (bcryptjs, median of 5) → login target ${loginTarget.toFixed(1)} req/s.`,
    ``,
    `| ratio | measured | target | met |`,
    `| --- | ---: | ---: | :---: |`,
    ...ratios.map(([name, value, target, sense]) => `| ${name} | ${value.toFixed(2)} | ${sense} ${target} | ${(sense === '≥' ? value >= target : value <= target) ? 'yes' : 'no'} |`),
    ``,
  ].join('\n');
  writeFileSync('bench/results.md', table);
  console.log(`\n${table}`);
} finally {
  metered.stop();
  gatehouse.stop();
  reference.stop();
  referenceRs256.stop();
}
