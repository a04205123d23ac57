import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKey } from '../src/tokens/entities/signing-key.entity.js';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';
import { createTemporaryDatabase, onPostgres, postgresSkipReason, type TemporaryDatabase } from './helpers/postgres.js';
import { REDIS_URL, redisSkipReason } from './helpers/redis.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * A revoked signing key ends every token it signed while requests keep using
 * them: at once on the instance that revoked it, within 2 s on every other
 * instance with Redis, within KEY_RELOAD_INTERVAL without; and the key that
 * signs afterwards is a new one, never a key that was retired.
 */
const ROUNDS = 20;
const LOOPS_PER_INSTANCE = 3;
/** A loop counts as stopped once it has been refused this long after the last request it saw accepted. */
const SETTLED_MS = 250;
/** The bound with Redis (docs/API.md). */
const WITH_REDIS_MS = 2000;
/** KEY_RELOAD_INTERVAL in the suite without Redis, and the slack its bound allows for the reload itself. */
const RELOAD_INTERVAL_MS = 1000;
const RELOAD_SLACK_MS = 1000;
const ADMIN = { username: 'key-custodian', password: 'brass-ring-of-keys' };
const USER = { username: 'busy-client', password: 'requests-all-day-long' };
const asAdmin = basic(ADMIN.username, ADMIN.password);
const kidOf = (token: string) => decodeProtectedHeader(token).kid!;
/** The two-instance suites are about PostgreSQL deployments: they run in the PostgreSQL pass (`npm run test:postgres`), not twice. */
const inPostgresPass = onPostgres() ? null : 'skipped: the two-instance suites run in the PostgreSQL pass (TEST_DATABASE=postgres)';
const postgresSkip = inPostgresPass ?? (await postgresSkipReason());
const postgresAndRedisSkip = postgresSkip ?? (await redisSkipReason());
/** ES256: the race is the same with any algorithm, and a new P-256 key is made in a fraction of an RSA key's time (one per round). */
const ALGORITHM = { JWT_ALGORITHM: 'ES256' };

interface Sample {
  started: number;
  status: number;
}
interface RequestLoop {
  server: RunningServer;
  samples: Sample[];
}

const form = (server: RunningServer, path: string, body: Record<string, string>, authorization?: string) =>
  fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(authorization ? { Authorization: authorization } : {}) },
    body: new URLSearchParams(body),
  });

async function accessToken(server: RunningServer): Promise<string> {
  const response = await form(server, '/auth/token', USER);
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function registerUser(server: RunningServer): Promise<void> {
  const response = await fetch(`${server.baseUrl}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(USER) });
  expect(response.status).toBe(201);
}

/** Request loops that use `token` on each server, each request after the last, until stopped. */
function startRequestLoops(servers: RunningServer[], token: string) {
  let stopped = false;
  const loops: RequestLoop[] = servers.flatMap((server) => Array.from({ length: LOOPS_PER_INSTANCE }, () => ({ server, samples: [] })));
  const running = loops.map(async (loop) => {
    while (!stopped) {
      const started = performance.now();
      const response = await fetch(`${loop.server.baseUrl}/`, { headers: { Authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      loop.samples.push({ started, status: response.status });
    }
  });
  return {
    loops,
    stop: async () => {
      stopped = true;
      await Promise.all(running);
    },
  };
}

/** When the last request the loop saw accepted was sent; -Infinity for none. */
const lastAccepted = (loop: RequestLoop) => Math.max(...loop.samples.filter((sample) => sample.status === 200).map((sample) => sample.started));
/** Refused, and refused still SETTLED_MS after the last acceptance: a cache filled again would have answered 200 in between. */
const settled = (loop: RequestLoop) => {
  const last = loop.samples.at(-1);
  return last !== undefined && last.status === 401 && last.started - Math.max(lastAccepted(loop), loop.samples[0].started) >= SETTLED_MS;
};

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const started = performance.now(); !condition(); ) {
    if (performance.now() - started > timeoutMs) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

interface RoundOutcome {
  /** Per server: how long after the revocation answered a request using the token was last sent and accepted (≤ 0: none after the answer; Infinity: never stopped). */
  acceptedAfterMs: number[];
  /** Per server: what its introspection said right after the revocation answered. */
  introspectedActive: boolean[];
}

/**
 * One round: a fresh token from `revoker`, in use by the loops on every
 * server; once each loop has been answered 200, `revoker` revokes the token's
 * key; then the loops go on until every one has stopped being accepted (or
 * `deadlineMs` passes).
 */
async function revocationRound(servers: RunningServer[], revoker: RunningServer, deadlineMs: number): Promise<RoundOutcome> {
  const token = await accessToken(revoker);
  const { loops, stop } = startRequestLoops(servers, token);
  let answered = 0;
  let introspectedActive: boolean[] = [];
  try {
    expect(await waitFor(() => loops.every((loop) => loop.samples.some((sample) => sample.status === 200)), 10_000)).toBe(true);
    const revoked = await fetch(`${revoker.baseUrl}/keys/${kidOf(token)}/revoke`, { method: 'POST', headers: { Authorization: asAdmin } });
    answered = performance.now();
    expect(revoked.status).toBe(200);
    introspectedActive = await Promise.all(
      servers.map(async (server) => ((await (await form(server, '/auth/introspect', { token }, asAdmin)).json()) as { active: boolean }).active),
    );
    await waitFor(() => loops.every(settled), deadlineMs);
  } finally {
    await stop();
  }
  expect(loops.flatMap((loop) => loop.samples.filter((sample) => sample.status !== 200 && sample.status !== 401))).toEqual([]);
  const acceptedAfterMs = servers.map((server) =>
    Math.max(...loops.filter((loop) => loop.server === server).map((loop) => (settled(loop) ? lastAccepted(loop) - answered : Infinity))),
  );
  return { acceptedAfterMs, introspectedActive };
}

const rounded = (milliseconds: number) => (Number.isFinite(milliseconds) ? Math.round(Math.max(0, milliseconds)) : 'never');

/**
 * ROUNDS rounds that take turns at revoking (on A, then on B), each checked
 * as it ends: `check` gets the round's outcome and which server revoked. What
 * was measured is printed, also when a check fails.
 */
async function revocationRounds(label: string, servers: RunningServer[], deadlineMs: number, check: (outcome: RoundOutcome, revoking: number, round: string) => void) {
  const measured: string[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const revoking = round % servers.length;
      const outcome = await revocationRound(servers, servers[revoking], deadlineMs);
      const order = [revoking, ...servers.keys()].filter((index, position, all) => all.indexOf(index) === position);
      measured.push(order.map((index) => rounded(outcome.acceptedAfterMs[index])).join('/'));
      check(outcome, revoking, `round ${round}`);
    }
  } finally {
    console.log(`${label}: ms after the revocation answered that the token was last accepted, revoking instance/other: ${measured.join(' ')}`);
  }
}

/** Two built instances on one new PostgreSQL database, as deploy/ runs them; with or without Redis. */
async function startTwoInstances(database: TemporaryDatabase, env: Record<string, string>): Promise<RunningServer[]> {
  const shared = {
    DATABASE_URL: database.url,
    KEY_ENCRYPTION_SECRET: 'a-secret-both-instances-share-32-bytes+',
    PUBLIC_URL: 'http://127.0.0.1:8080',
    KEY_PUBLISH_AHEAD: '0',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ...ALGORITHM,
    ...env,
  };
  const servers = await Promise.all([startServer(shared), startServer(shared)]);
  await registerUser(servers[0]);
  return servers;
}

describe.skipIf(postgresAndRedisSkip)('a signing key revoked while its token is in use on two instances, PostgreSQL and Redis', () => {
  let database: TemporaryDatabase;
  let servers: RunningServer[] = [];
  beforeAll(async () => {
    database = await createTemporaryDatabase();
    servers = await startTwoInstances(database, { REDIS_URL, REDIS_KEY_PREFIX: `gatehouse-key-revocation-${randomBytes(4).toString('hex')}:` });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database?.drop();
  });

  it(`stops every request loop at once on the revoking instance and within 2 s on the other (${ROUNDS} rounds, ${LOOPS_PER_INSTANCE} loops on each)`, async () => {
    await revocationRounds('with Redis', servers, WITH_REDIS_MS + 2000, ({ acceptedAfterMs, introspectedActive }, revoking, round) => {
      expect(acceptedAfterMs[revoking], `${round}: the revoking instance`).toBeLessThanOrEqual(0);
      expect(acceptedAfterMs[1 - revoking], `${round}: the other instance`).toBeLessThanOrEqual(WITH_REDIS_MS);
      expect(introspectedActive, `${round}: introspection on A and B`).toEqual([false, false]);
    });
  }, 120_000);
});

describe.skipIf(postgresSkip)('a signing key revoked while its token is in use on two instances, PostgreSQL without Redis', () => {
  let database: TemporaryDatabase;
  let servers: RunningServer[] = [];
  beforeAll(async () => {
    database = await createTemporaryDatabase();
    servers = await startTwoInstances(database, { KEY_RELOAD_INTERVAL: `${RELOAD_INTERVAL_MS / 1000}s` });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database?.drop();
  });

  it(`stops every request loop at once on the revoking instance and within KEY_RELOAD_INTERVAL on the other; introspection says inactive at once on both (${ROUNDS} rounds)`, async () => {
    await revocationRounds('without Redis, KEY_RELOAD_INTERVAL=1s', servers, RELOAD_INTERVAL_MS + RELOAD_SLACK_MS + 2000, ({ acceptedAfterMs, introspectedActive }, revoking, round) => {
      expect(acceptedAfterMs[revoking], `${round}: the revoking instance`).toBeLessThanOrEqual(0);
      expect(acceptedAfterMs[1 - revoking], `${round}: the other instance`).toBeLessThanOrEqual(RELOAD_INTERVAL_MS + RELOAD_SLACK_MS);
      expect(introspectedActive, `${round}: introspection on A and B`).toEqual([false, false]);
    });
  }, 150_000);
});

describe('a signing key revoked while its token is in use on the same instance', () => {
  let server: RunningServer | undefined;
  beforeAll(async () => {
    // SQLite, or PostgreSQL in the PostgreSQL pass.
    server = await startServer({ KEY_PUBLISH_AHEAD: '0', ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, ...ALGORITHM });
    await registerUser(server);
  }, 60_000);
  afterAll(() => server?.stop());

  it(`accepts no request sent after the revocation answered (${ROUNDS} rounds, ${2 * LOOPS_PER_INSTANCE} loops)`, async () => {
    // The loops twice over one instance: as many as the two-instance suites run.
    await revocationRounds('one instance', [server!, server!], 3000, ({ acceptedAfterMs, introspectedActive }, _revoking, round) => {
      expect(acceptedAfterMs[0], round).toBeLessThanOrEqual(0);
      expect(introspectedActive, `${round}: introspection`).toEqual([false, false]);
    });
  }, 120_000);
});

describe('the key that signs after a revocation', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, KEY_PUBLISH_AHEAD: '0' });
    await registerAndLogin(testApp, USER.username, USER.password);
  });
  afterAll(() => testApp.close());

  const login = async () => (await testApp.http().post('/auth/token').type('form').send(USER).expect(200)).body.access_token as string;
  const jwks = async () => ((await testApp.http().get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet).keys.map((key) => key.kid);
  const listed = async () => (await testApp.http().get('/keys').set('Authorization', asAdmin).expect(200)).body as { kid: string; retiresAt: string | null; revokedAt: string | null }[];
  const rotate = async () => (await testApp.http().post('/keys/rotate').set('Authorization', asAdmin).expect(201)).body.kid as string;
  const revoke = (kid: string) => testApp.http().post(`/keys/${kid}/revoke`).set('Authorization', asAdmin).expect(200);
  const greet = (token: string) => testApp.http().get('/').set('Authorization', `Bearer ${token}`);

  it('is a new key when the signing key is revoked: the key it replaced keeps its retirement and never signs again', async () => {
    const first = await login();
    const replaced = kidOf(first);
    const successor = await rotate();
    expect(kidOf(await login())).toBe(successor);
    const retirement = (await listed()).find((key) => key.kid === replaced)!.retiresAt;
    expect(retirement).not.toBeNull();

    await revoke(successor);
    const next = kidOf(await login());
    expect([replaced, successor]).not.toContain(next);
    expect((await listed()).find((key) => key.kid === replaced)!.retiresAt).toBe(retirement);
    // Still retiring, not retired: its tokens live until they expire, and it stays published for them.
    expect(await jwks()).toEqual([replaced, next]);
    await greet(first).expect(200);
  });

  it('never brings back a retired key: not signing, not in the JWKS, not verifying', async () => {
    const token = await login();
    const retiring = kidOf(token);
    await greet(token).expect(200);
    const successor = await rotate();
    // As if the successor had signed for two hours: `retiring` is past its retirement (ACCESS_TOKEN_TTL and 35 s later).
    await testApp.app.get(DataSource).getRepository(SigningKey).update({ kid: successor }, { signsFrom: new Date(Date.now() - 2 * 3600_000) });
    await testApp.app.get(SigningKeysService).reload();
    expect(await jwks()).not.toContain(retiring);
    await greet(token).expect(401);

    await revoke(successor);
    const next = kidOf(await login());
    expect([retiring, successor]).not.toContain(next);
    const published = await jwks();
    expect(published).toContain(next);
    expect(published).not.toContain(retiring);
    expect(published).not.toContain(successor);
    await greet(token).expect(401);
    expect((await listed()).find((key) => key.kid === retiring)?.retiresAt ?? 'deleted').not.toBeNull();
  });
});
