// npm run bench: Gatehouse beside a Fastify reference, in the same run, on this
// machine. Servers are pinned to core 0 (login rows: both cores), the load
// generator (this process, autocannon) to core 1. Several rounds, medians,
// ratios to the reference. Writes bench/results.md.
//
// References, in the same run: the floor (bench/floor-app.mjs, a bare Nest +
// Fastify app with one guard, a verified-token cache and Gatehouse's request
// logging), raw signing (bench/raw-signing.mjs: tokens one core signs per
// second), and the Fastify reference (bench/reference-server.mjs, uncached
// and cached). Every row says its server's CPU (busy cores, from /proc).
//
// BENCH_QUICK=1: a smoke run (1 round of 2 s per row, no soak, a short
// storm, bcrypt cost 10) proving every row works; its figures mean little.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import autocannon from 'autocannon';
import bcrypt from 'bcryptjs';
import { BenchBrowser, exchange, exchangeBody, refreshChains, registerClients, secretBasic, authorizeUrl } from './oauth-flows.mjs';
import { decodeJwt, SignJWT } from 'jose';
import { SERVICE_NODE_FLAGS } from './service-command.mjs';

const QUICK = ['1', 'true', 'yes'].includes(process.env.BENCH_QUICK ?? '');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 2 : 5));
const CONNECTIONS = 32;
const BCRYPT_ROUNDS = Number(process.env.BENCH_BCRYPT_ROUNDS ?? (QUICK ? 10 : 12));
const JWT_SECRET = 'bench-secret-of-at-least-thirty-two-bytes!';
const USER = { username: 'bencher', password: 'bench-password-1' };

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
// 'all' must be explicit: a child inherits this process's pinning to core 1.
const pinned = (cores, command, args) => ['taskset', ['-c', cores === 'all' ? `0-${cpus().length - 1}` : String(cores), command, ...args]];

function start(name, script, core, env) {
  const [command, args] = pinned(core, process.execPath, script === 'dist/src/main.js' ? [...SERVICE_NODE_FLAGS, script] : [script]);
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
    autocannon({ connections: CONNECTIONS, ...(options.amount ? {} : { duration: SECONDS }), ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** The CPU time (user + system) the server's process has used, in seconds, from /proc. */
function cpuSeconds(server) {
  const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Rows measured round by round in turn (A, B, A, B…), so a noisy neighbour
 * hits them alike: for a ratio between them. Each pair is [label, options,
 * server]; options may be a function of the round (async: it may prepare
 * what the round spends, e.g. authorization codes, outside the timed part).
 * With `amount` (a fixed number of requests), req/s is total ÷ elapsed.
 * Each row also says the server's CPU while loaded (busy cores: CPU seconds
 * ÷ wall seconds) and how many requests it answered per second of its own
 * CPU time, which a busy machine disturbs far less than requests per second.
 */
async function measureInTurn(pairs, rounds = ROUNDS) {
  const results = pairs.map(() => ({ runs: [], perCpuSecond: [], cores: [] }));
  for (let round = 0; round < rounds; round++) {
    for (const [index, [label, given, server]] of pairs.entries()) {
      const options = typeof given === 'function' ? await given(round) : given;
      const cpuBefore = cpuSeconds(server);
      const started = performance.now();
      const result = await load(options);
      const wall = (performance.now() - started) / 1000;
      const cpu = Math.max(0.01, cpuSeconds(server) - cpuBefore);
      const bad = result.non2xx + result.errors + result.timeouts;
      if (bad > 0) throw new Error(`${label}: ${bad} failed requests of ${result.requests.total} (${JSON.stringify(result.statusCodeStats)})`);
      results[index].runs.push({ ...result, rate: options.amount ? result.requests.total / wall : result.requests.average });
      results[index].perCpuSecond.push(result.requests.total / cpu);
      results[index].cores.push(cpu / wall);
    }
  }
  return pairs.map(([label], index) => {
    const { runs, perCpuSecond, cores } = results[index];
    const row = {
      label,
      requestsPerSecond: median(runs.map((result) => result.rate)),
      p50: median(runs.map((result) => result.latency.p50)),
      p99: median(runs.map((result) => result.latency.p99)),
      requestsPerCpuSecond: median(perCpuSecond),
      cpu: median(cores),
    };
    console.log(`${label}: ${row.requestsPerSecond.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, server CPU ${row.cpu.toFixed(2)} cores, ${row.requestsPerCpuSecond.toFixed(0)} requests per CPU second`);
    return row;
  });
}

const measure = async (label, options, server, rounds = ROUNDS) => (await measureInTurn([[label, options, server]], rounds))[0];

/** Tokens one core (core 0, the servers' core) signs per second, outside any server: bench/raw-signing.mjs. */
function rawSigning(env) {
  const [command, args] = pinned(0, process.execPath, ['bench/raw-signing.mjs']);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, RAW_SIGNING_SECONDS: String(SECONDS), ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => {
      const match = /ops\/s ([\d.]+)/.exec(output);
      if (code !== 0 || !match) reject(new Error(`raw signing exited with ${code}: ${output}`));
      else resolve(Number(match[1]));
    });
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
const SOAK_MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? (QUICK ? 0 : 10));
const SOAK_CLIENTS = 8;
const STORM_SECONDS = Number(process.env.BENCH_STORM_SECONDS ?? (QUICK ? 4 : 15));

const ADMIN = { username: 'bench-admin', password: 'orchard-lantern-quartz-5d1e' };
gatehouseEnv.ADMIN_USERNAME = ADMIN.username;
gatehouseEnv.ADMIN_PASSWORD = ADMIN.password;
const adminBasic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

/** Starts a floor (bench/floor-app.mjs) on core 0. */
const startFloor = (name, env) => start(name, 'bench/floor-app.mjs', 0, { JWT_ISSUER: 'gatehouse-bench', ...env });

// Gatehouse as installed by default: RS256, keys in its database.
let gatehouse = await start('Gatehouse', 'dist/src/main.js', 0, gatehouseEnv);
const jwksText = await (await fetch(`${gatehouse.url}/.well-known/jwks.json`)).text();
const discoveryText = await (await fetch(`${gatehouse.url}/.well-known/openid-configuration`)).text();
const publicJwk = JSON.parse(jwksText).keys[0];
const { issuer } = JSON.parse(discoveryText);
const publicKey = createPublicKey({ key: publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
const modulusBits = Buffer.from(publicJwk.n, 'base64url').length * 8;
const reference = await start('Reference', 'bench/reference-server.mjs', 0, { JWT_SECRET, JWT_ISSUER: issuer });
// The same service on the same database with METRICS_TOKEN: /metrics on, every request observed in the duration histogram.
const metered = await start('Gatehouse with metrics', 'dist/src/main.js', 0, { ...gatehouseEnv, METRICS_TOKEN: 'bench-metrics-token-0f9c2b7a4e1d8c3b6a5f' });
const referenceRs256 = await start('Reference RS256', 'bench/reference-server.mjs', 0, { JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY: publicKey, JWT_ISSUER: issuer });
let floor;
const others = [];
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

  // The OAuth rows' setup: two clients, one person signed in on the hosted pages, the login page's HTML (for the floor to serve).
  const { web, machine } = await registerClients(gatehouse.url, adminBasic);
  const browser = new BenchBrowser();
  const loginPageUrl = authorizeUrl(gatehouse.url, web, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  const loginPageText = await (await fetch(loginPageUrl)).text();
  await browser.signIn(gatehouse.url, web, USER);
  const [clientTokens] = await exchange(gatehouse.url, web, await browser.codes(gatehouse.url, web, 1));
  for (const [name, text] of [['jwks.json', jwksText], ['discovery.json', discoveryText], ['login.html', loginPageText]]) writeFileSync(join(directory, name), text);
  floor = await startFloor('Floor RS256', {
    JWT_ALGORITHM: 'RS256',
    JWT_PUBLIC_JWK: JSON.stringify(publicJwk),
    JWT_ISSUER: issuer,
    FLOOR_JWKS_FILE: join(directory, 'jwks.json'),
    FLOOR_DISCOVERY_FILE: join(directory, 'discovery.json'),
    FLOOR_LOGIN_PAGE_FILE: join(directory, 'login.html'),
  });

  await json(`${gatehouse.url}/`, { headers: bearer });
  await json(`${reference.url}/`, { headers: hs256Bearer });
  await json(`${referenceRs256.url}/`, { headers: bearer });
  await json(`${floor.url}/`, { headers: bearer });
  const idle = { gatehouse: rssMegabytes(gatehouse), reference: rssMegabytes(reference), floor: rssMegabytes(floor) };
  console.log(`idle RSS: Gatehouse ${idle.gatehouse.toFixed(0)} MB, floor ${idle.floor.toFixed(0)} MB, reference ${idle.reference.toFixed(0)} MB`);

  await json(`${metered.url}/`, { headers: bearer });
  const [greetGatehouse, greetMetered, greetFloor] = await measureInTurn([
    ['GET / Bearer RS256, Gatehouse (1 core)', { url: `${gatehouse.url}/`, headers: bearer }, gatehouse],
    ['GET / Bearer RS256, Gatehouse with METRICS_TOKEN (1 core)', { url: `${metered.url}/`, headers: bearer }, metered],
    ['GET / Bearer RS256, floor (1 core)', { url: `${floor.url}/`, headers: bearer }, floor],
  ]);
  metered.stop();
  const greetReferenceRs256 = await measure('GET / Bearer RS256, Fastify reference (1 core)', { url: `${referenceRs256.url}/`, headers: bearer }, referenceRs256);
  referenceRs256.stop();
  const referenceRs256Cached = await start('Reference RS256 cached', 'bench/reference-server.mjs', 0, { JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY: publicKey, JWT_ISSUER: issuer, JWT_CACHE: '1' });
  others.push(referenceRs256Cached);
  const greetReferenceRs256Cached = await measure('GET / Bearer RS256, Fastify reference cached (1 core)', { url: `${referenceRs256Cached.url}/`, headers: bearer }, referenceRs256Cached);
  referenceRs256Cached.stop();
  const greetReference = await measure('GET / Bearer HS256, Fastify reference (1 core)', { url: `${reference.url}/`, headers: hs256Bearer }, reference);
  reference.stop();
  const referenceCached = await start('Reference cached', 'bench/reference-server.mjs', 0, { JWT_SECRET, JWT_ISSUER: issuer, JWT_CACHE: '1' });
  others.push(referenceCached);
  const greetReferenceCached = await measure('GET / Bearer HS256, Fastify reference cached (1 core)', { url: `${referenceCached.url}/`, headers: hs256Bearer }, referenceCached);
  referenceCached.stop();
  await json(`${gatehouse.url}/protected`, { headers: basicHeader });
  const basicRow = await measure('GET /protected Basic (warm), Gatehouse (1 core)', { url: `${gatehouse.url}/protected`, headers: basicHeader }, gatehouse);
  const loadedRss = rssMegabytes(gatehouse);

  // The grant rows: raw signing (the physical limit) first, on the servers' core.
  const rawRs256 = await rawSigning({ JWT_ALGORITHM: 'RS256', RSA_MODULUS_BITS: String(modulusBits) });
  const rawHs256 = await rawSigning({ JWT_ALGORITHM: 'HS256', JWT_SECRET });
  console.log(`raw signing, one core: RS256 (${modulusBits}-bit key) ${rawRs256.toFixed(0)} tokens/s, HS256 ${rawHs256.toFixed(0)} tokens/s`);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const tokenUrl = `${gatehouse.url}/auth/token`;
  const clientCredentialsRow = await measure(
    'POST /auth/token client_credentials (client_secret_basic), Gatehouse (1 core)',
    { url: tokenUrl, method: 'POST', headers: { ...form, authorization: secretBasic(machine) }, body: 'grant_type=client_credentials' },
    gatehouse,
  );
  // Refresh: 32 chains (one per connection) of rotated refresh tokens (a token is spent once), from fresh seeds each round.
  const refreshRow = await measure(
    'POST /auth/token refresh_token (client_secret_basic, rotation), Gatehouse (1 core)',
    async () => refreshChains(tokenUrl, web, (await exchange(gatehouse.url, web, await browser.codes(gatehouse.url, web, CONNECTIONS))).map((tokens) => tokens.refresh_token)),
    gatehouse,
  );
  // Code exchange: codes minted through the session before each round (outside the timed part), as many as the round
  // spends, so that minting and spending them fit well inside a code's 60 s; the round runs exactly that many.
  const mintRate = await (async () => {
    const started = performance.now();
    await browser.codes(gatehouse.url, web, 100);
    return 100 / ((performance.now() - started) / 1000);
  })();
  const probe = await browser.codes(gatehouse.url, web, 100);
  let exchangeRate = await (async () => {
    const started = performance.now();
    await exchange(gatehouse.url, web, probe.slice(0, 20));
    return 20 / ((performance.now() - started) / 1000);
  })();
  const codeRow = await measure(
    'POST /auth/token authorization_code (PKCE, id_token, refresh token), Gatehouse (1 core)',
    async () => {
      // Sequential probing under-estimates a loaded server: aim at 3× its rate, capped so that minting and spending take ≤ 45 s.
      const wanted = Math.ceil(3 * exchangeRate * SECONDS);
      const count = Math.max(CONNECTIONS * 4, Math.min(wanted, Math.floor(45 / (1 / mintRate + 1 / (3 * exchangeRate)))));
      const codes = await browser.codes(gatehouse.url, web, count);
      return {
        url: tokenUrl,
        method: 'POST',
        headers: { ...form, authorization: secretBasic(web) },
        amount: count,
        requests: [{ setupRequest: (request) => ({ ...request, body: exchangeBody(codes.pop()) }) }],
      };
    },
    gatehouse,
  );
  exchangeRate = codeRow.requestsPerSecond;
  const clientBearer = { authorization: `Bearer ${clientTokens.access_token}` };
  await json(`${gatehouse.url}/auth/userinfo`, { headers: clientBearer });
  const [introspectionRow, userinfoRow, greetAgain] = await measureInTurn([
    [
      'POST /auth/introspect (client_secret_basic), Gatehouse (1 core)',
      { url: `${gatehouse.url}/auth/introspect`, method: 'POST', headers: { ...form, authorization: secretBasic(web) }, body: new URLSearchParams({ token: clientTokens.access_token }).toString() },
      gatehouse,
    ],
    ['GET /auth/userinfo Bearer, Gatehouse (1 core)', { url: `${gatehouse.url}/auth/userinfo`, headers: clientBearer }, gatehouse],
    ['GET / Bearer RS256, Gatehouse (1 core), again beside introspection and userinfo', { url: `${gatehouse.url}/`, headers: bearer }, gatehouse],
  ]);
  const [jwksRow, jwksFloor, discoveryRow, discoveryFloor, loginPageRow, loginPageFloor] = await measureInTurn([
    ['GET /.well-known/jwks.json, Gatehouse (1 core)', { url: `${gatehouse.url}/.well-known/jwks.json` }, gatehouse],
    ['GET /.well-known/jwks.json, floor: the same JSON (1 core)', { url: `${floor.url}/.well-known/jwks.json` }, floor],
    ['GET /.well-known/openid-configuration, Gatehouse (1 core)', { url: `${gatehouse.url}/.well-known/openid-configuration` }, gatehouse],
    ['GET /.well-known/openid-configuration, floor: the same JSON (1 core)', { url: `${floor.url}/.well-known/openid-configuration` }, floor],
    ['GET /authorize, the hosted login page, Gatehouse (1 core)', { url: loginPageUrl }, gatehouse],
    ['GET /authorize, floor: the same HTML, static (1 core)', { url: `${floor.url}/authorize` }, floor],
  ]);
  floor.stop();

  // Gatehouse with JWT_ALGORITHM=HS256, as every install ran before signing keys: the figure RS256 must keep.
  gatehouse.stop();
  gatehouse = await start('Gatehouse HS256', 'dist/src/main.js', 0, { ...gatehouseEnv, JWT_ALGORITHM: 'HS256', DATABASE_URL: `sqlite:${join(directory, 'bench-hs256.sqlite')}` });
  await json(`${gatehouse.url}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(USER) });
  const { access_token: hsGatehouseToken } = await json(`${gatehouse.url}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(USER).toString(),
  });
  const hsGatehouseBearer = { authorization: `Bearer ${hsGatehouseToken}` };
  await json(`${gatehouse.url}/`, { headers: hsGatehouseBearer });
  floor = await startFloor('Floor HS256', { JWT_ALGORITHM: 'HS256', JWT_SECRET, JWT_ISSUER: issuer });
  await json(`${floor.url}/`, { headers: hsGatehouseBearer });
  const [greetGatehouseHs256, greetFloorHs256] = await measureInTurn([
    ['GET / Bearer HS256, Gatehouse (1 core)', { url: `${gatehouse.url}/`, headers: hsGatehouseBearer }, gatehouse],
    ['GET / Bearer HS256, floor (1 core)', { url: `${floor.url}/`, headers: hsGatehouseBearer }, floor],
  ]);
  floor.stop();

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
  const loginRow = await measure('POST /auth/token login, Gatehouse (all cores)', { ...fromSeveralClients, connections: 2 * cores }, gatehouse);
  const [mixed] = await Promise.all([
    measure('GET / Bearer while 4 clients log in, Gatehouse (all cores)', { url: `${gatehouse.url}/`, headers: bearer, connections: 8 }, gatehouse, 1),
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
  const soak = SOAK_MINUTES > 0 ? await soakRow() : null;
  const loadAfter = loadavg();

  const loginTarget = (0.9 * cores) / hashSeconds;
  // Each row beside its reference: [row, reference name, reference req/s, target ratio (or null: none set)].
  const sideBySide = [
    [greetGatehouse, 'floor RS256', greetFloor.requestsPerSecond, 0.9],
    [greetGatehouse, 'Fastify reference RS256', greetReferenceRs256.requestsPerSecond, 0.8],
    [greetGatehouse, 'Fastify reference RS256 cached', greetReferenceRs256Cached.requestsPerSecond, null],
    [greetMetered, 'Gatehouse RS256, metrics off', greetGatehouse.requestsPerSecond, 0.95],
    [greetGatehouseHs256, 'floor HS256', greetFloorHs256.requestsPerSecond, 0.9],
    [greetGatehouseHs256, 'Fastify reference HS256', greetReference.requestsPerSecond, 0.8],
    [greetGatehouseHs256, 'Fastify reference HS256 cached', greetReferenceCached.requestsPerSecond, null],
    [basicRow, 'Fastify reference HS256', greetReference.requestsPerSecond, 0.8],
    [clientCredentialsRow, `raw signing RS256 (${modulusBits}-bit key, 1 core)`, rawRs256, 0.4],
    [refreshRow, 'raw signing RS256', rawRs256, 0.25],
    [codeRow, 'raw signing RS256', rawRs256, 0.15],
    [introspectionRow, "Gatehouse's own GET / (same rounds)", greetAgain.requestsPerSecond, 0.8],
    [userinfoRow, "Gatehouse's own GET / (same rounds)", greetAgain.requestsPerSecond, 0.8],
    [jwksRow, 'floor, the same JSON', jwksFloor.requestsPerSecond, 0.9],
    [discoveryRow, 'floor, the same JSON', discoveryFloor.requestsPerSecond, 0.9],
    [loginPageRow, 'floor, the same HTML as a static string', loginPageFloor.requestsPerSecond, null],
  ];
  const ratios = [
    ['GET / Bearer RS256 ÷ Gatehouse HS256 (keeps the HS256 figure)', greetGatehouse.requestsPerSecond / greetGatehouseHs256.requestsPerSecond, 1, '≥'],
    ['GET / Bearer RS256 with metrics on ÷ off, requests per CPU second of the server', greetMetered.requestsPerCpuSecond / greetGatehouse.requestsPerCpuSecond, 0.95, '≥'],
    ['GET / Bearer RS256 p99 at 32 connections, 1 core (ms)', greetGatehouse.p99, 10, '≤'],
    [`login ÷ (0.9 × ${cores} cores ÷ ${(hashSeconds * 1000).toFixed(0)} ms hash)`, loginRow.requestsPerSecond / loginTarget, 1, '≥'],
    ['GET / p99 while logins run (ms)', mixed.p99, 25, '≤'],
    ['login from another address during a storm (p50) ÷ one hash time', stormRow.p50 / (hashSeconds * 1000), 4, '≤'],
    ['idle RSS ÷ floor', idle.gatehouse / idle.floor, 1.2, '≤'],
    ['idle RSS ÷ Fastify reference', idle.gatehouse / idle.reference, 1.5, '≤'],
    ...(soak ? [[`soak: median RSS of the last minute ÷ median around 2 min`, soak.rssEnd / soak.rss2, 1.05, '≤']] : []),
  ];
  const rowsMeasured = [
    greetGatehouse, greetMetered, greetFloor, greetReferenceRs256, greetReferenceRs256Cached, greetGatehouseHs256, greetFloorHs256, greetReference, greetReferenceCached, basicRow,
    clientCredentialsRow, refreshRow, codeRow, introspectionRow, userinfoRow, greetAgain, jwksRow, jwksFloor, discoveryRow, discoveryFloor, loginPageRow, loginPageFloor,
    loginRow, mixed,
  ];
  const rate = (value) => value.toFixed(value < 10 ? 1 : 0);
  const met = (value, target, sense = '≥') => (target === null ? '' : (sense === '≥' ? value >= target : value <= target) ? 'yes' : 'no');
  const table = [
    `# Benchmark`,
    ``,
    `${new Date().toISOString()} · ${cpus()[0].model} × ${cores} · Node ${process.version} · bcrypt cost ${BCRYPT_ROUNDS} · ${ROUNDS} rounds of ${SECONDS} s, medians · ${CONNECTIONS} connections unless said${QUICK ? ' · **BENCH_QUICK: a smoke run, not a measurement**' : ''}`,
    `Load average before ${loadBefore.map((value) => value.toFixed(2)).join(' ')}, after ${loadAfter.map((value) => value.toFixed(2)).join(' ')} (high values mean a noisy run).`,
    ``,
    `## Rows`,
    ``,
    `Server CPU: the server process's CPU time ÷ the wall time of the load (1.00 = one core busy); per CPU s: requests answered per second of the server's own CPU.`,
    ``,
    `| scenario | req/s | p50 ms | p99 ms | server CPU | per CPU s |`,
    `| --- | ---: | ---: | ---: | ---: | ---: |`,
    ...rowsMeasured.map((row) => `| ${row.label} | ${rate(row.requestsPerSecond)} | ${row.p50} | ${row.p99} | ${row.cpu?.toFixed(2) ?? ''} | ${row.requestsPerCpuSecond?.toFixed(0) ?? ''} |`),
    `| ${stormRow.label} | ${rate(stormRow.requestsPerSecond)} | ${stormRow.p50} | ${stormRow.p99} | | |`,
    `| raw signing RS256, ${modulusBits}-bit key, jose, 1 core (tokens/s) | ${rate(rawRs256)} | | | 1.00 | |`,
    `| raw signing HS256, jose, 1 core (tokens/s) | ${rate(rawHs256)} | | | 1.00 | |`,
    ``,
    `## Each row beside its reference`,
    ``,
    `| row | req/s | reference | ref req/s | ratio | target | met |`,
    `| --- | ---: | --- | ---: | ---: | ---: | :---: |`,
    ...sideBySide.map(([row, name, value, target]) => `| ${row.label} | ${rate(row.requestsPerSecond)} | ${name} | ${rate(value)} | ${(row.requestsPerSecond / value).toFixed(2)} | ${target === null ? '' : `≥ ${target}`} | ${met(row.requestsPerSecond / value, target)} |`),
    ``,
    `Idle RSS: Gatehouse ${idle.gatehouse.toFixed(0)} MB, floor ${idle.floor.toFixed(0)} MB, Fastify reference ${idle.reference.toFixed(0)} MB; Gatehouse after the greeting and Basic rows ${loadedRss.toFixed(0)} MB.`,
    soak
      ? `Soak (${SOAK_CLIENTS} clients for ${SOAK_MINUTES} min, each round: register, log in, 20 × GET / Bearer, 20 × GET /protected Basic, refresh, revoke; bcrypt cost 4): ${soak.requests} requests, ${soak.users} new users, ${soak.errors} errors; RSS (sampled every 5 s) ${soak.rssStart.toFixed(0)} MB at the start, median ${soak.rss2.toFixed(0)} MB around 2 min, median ${soak.rssEnd.toFixed(0)} MB over the last minute; between ${soak.rssLow.toFixed(0)} and ${soak.rssHigh.toFixed(0)} MB from 2 min on.`
      : `Soak: not run (BENCH_SOAK_MINUTES=0).`,
    `During the storm row, ${stormAnswers}.`,
    `One bcrypt hash at cost ${BCRYPT_ROUNDS}: ${(hashSeconds * 1000).toFixed(0)} ms (bcryptjs, median of 5) → login target ${loginTarget.toFixed(1)} req/s.`,
    `Grant rows: the refresh row follows ${CONNECTIONS} chains of rotated refresh tokens (fresh seeds each round); the code row spends codes minted through a hosted-login session before each round (scope \`openid profile email offline_access\`: an access token, an id_token and a refresh token per exchange), a fixed number per round.`,
    ``,
    `## Other ratios`,
    ``,
    `| ratio | measured | target | met |`,
    `| --- | ---: | ---: | :---: |`,
    ...ratios.map(([name, value, target, sense]) => `| ${name} | ${value.toFixed(2)} | ${sense} ${target} | ${met(value, target, sense)} |`),
    ``,
  ].join('\n');
  writeFileSync('bench/results.md', table);
  console.log(`\n${table}`);
} finally {
  for (const server of [metered, gatehouse, reference, referenceRs256, floor, ...others]) server?.stop();
}
