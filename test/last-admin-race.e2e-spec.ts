import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporaryDatabase, postgresSkipReason, type TemporaryDatabase } from './helpers/postgres.js';
import { REDIS_URL, redisSkipReason } from './helpers/redis.js';
import { startServer, type RunningServer } from './helpers/server.js';

/** The parts of /auth/me and /users answers the test reads. */
type AnswerBody = { id: number; items: { username: string; role: string }[] };

const skip = (await postgresSkipReason()) ?? (await redisSkipReason());
const ROUNDS = 20;
const PASSWORD = 'admin-race-password';
const basic = (username: string) => `Basic ${Buffer.from(`${username}:${PASSWORD}`).toString('base64')}`;

/**
 * Two admins, each on another instance, demote (or delete) each other at the
 * same moment. Under READ COMMITTED each statement's own count sees two admins;
 * the service must serialise the two, so one is refused with 409.
 *
 * HTTP jitter is far longer than the statements, so to make them overlap every
 * round the test holds a SHARE lock on `users` (reads go on, writes wait), lets
 * both requests reach the database and queue behind it, then lets go.
 */
async function atTheSameMoment<T>(databaseUrl: string, requests: () => Promise<T>): Promise<T> {
  const gate = new pg.Client({ connectionString: databaseUrl });
  await gate.connect();
  try {
    await gate.query('BEGIN');
    await gate.query('LOCK TABLE users IN SHARE MODE');
    const answers = requests();
    const deadline = Date.now() + 3000;
    // Both waiting (on the table lock, or on the other's row locks), or no more to wait for.
    while (Date.now() < deadline && Number((await gate.query('SELECT count(*) AS waiting FROM pg_locks WHERE NOT granted')).rows[0].waiting) < 2) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await gate.query('COMMIT');
    return await answers;
  } finally {
    await gate.end();
  }
}
describe.skipIf(skip)('the last admin, over two instances on PostgreSQL', () => {
  let database: TemporaryDatabase;
  let a: RunningServer;
  let b: RunningServer;

  const send = async (server: RunningServer, method: string, path: string, as: string, body?: unknown) => {
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { Authorization: basic(as), ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (response.status === 204 ? {} : await response.json()) as AnswerBody };
  };
  const idOf = async (username: string) => (await send(a, 'GET', '/auth/me', username)).body.id;
  /** The admins, as `as` sees them; none when `as` is itself no longer an admin. */
  const admins = async (as: string) => {
    const response = await send(a, 'GET', '/users?pageSize=100', as);
    return response.status === 200 ? response.body.items.filter((user) => user.role === 'admin') : [];
  };
  /** Makes `username` exist again as an admin, named by `admin`, the one left. */
  async function restore(username: string, admin: string) {
    const created = await fetch(`${a.baseUrl}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
    expect([201, 409]).toContain(created.status);
    const id = (await send(a, 'GET', '/auth/me', username)).body.id;
    expect((await send(b, 'PATCH', `/users/${id}`, admin, { role: 'admin' })).status).toBe(200);
  }

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    // Redis as deployed: each instance hears of the other's role changes at once.
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `gatehouse-admin-race-${randomBytes(4).toString('hex')}:`,
      KEY_ENCRYPTION_SECRET: 'a-secret-both-instances-share-32-bytes+',
      // The address of the proxy in front of both, as in deploy/: one issuer for the deployment.
      PUBLIC_URL: 'http://127.0.0.1:8080',
      ADMIN_USERNAME: 'alpha',
      ADMIN_PASSWORD: PASSWORD,
    };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
    await restore('beta', 'alpha');
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it(`two admins demoting each other at once leave exactly one (${ROUNDS} rounds)`, async () => {
    let zero = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const [alphaId, betaId] = [await idOf('alpha'), await idOf('beta')];
      const [byAlpha, byBeta] = await atTheSameMoment(database.url, () =>
        Promise.all([send(a, 'PATCH', `/users/${betaId}`, 'alpha', { role: 'user' }), send(b, 'PATCH', `/users/${alphaId}`, 'beta', { role: 'user' })]),
      );
      // The loser is refused: 409 (last admin), or 403 when it was no longer an admin by the time it was authenticated.
      const left = byAlpha.status === 200 ? 'alpha' : 'beta';
      const remaining = await admins(left);
      if (remaining.length === 0) zero++;
      expect([byAlpha.status, byBeta.status].filter((status) => status === 200)).toHaveLength(1);
      expect([byAlpha.status, byBeta.status].filter((status) => status === 409 || status === 403)).toHaveLength(1);
      expect(remaining.map((user) => user.username)).toEqual([left]);
      await restore(left === 'alpha' ? 'beta' : 'alpha', left);
    }
    expect(zero).toBe(0);
  });

  it(`two admins deleting each other at once leave exactly one (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [alphaId, betaId] = [await idOf('alpha'), await idOf('beta')];
      const [byAlpha, byBeta] = await atTheSameMoment(database.url, () => Promise.all([send(a, 'DELETE', `/users/${betaId}`, 'alpha'), send(b, 'DELETE', `/users/${alphaId}`, 'beta')]));
      expect([byAlpha.status, byBeta.status].filter((status) => status === 204)).toHaveLength(1);
      expect([byAlpha.status, byBeta.status].filter((status) => status === 409 || status === 401)).toHaveLength(1);
      const left = byAlpha.status === 204 ? 'alpha' : 'beta';
      expect((await admins(left)).map((user) => user.username)).toEqual([left]);
      await restore(left === 'alpha' ? 'beta' : 'alpha', left);
    }
  });
});
