import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporaryDatabase, postgresSkipReason, type TemporaryDatabase } from './helpers/postgres.js';
import { REDIS_URL, redisSkipReason } from './helpers/redis.js';
import { startServer, type RunningServer } from './helpers/server.js';

const skip = (await postgresSkipReason()) ?? (await redisSkipReason());
const ADMIN = { username: 'fleet-admin', password: 'convoy-at-dawn' };
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** Two built instances on one PostgreSQL database and one Redis, as deploy/ runs them. */
describe.skipIf(skip)('two instances behind one address', () => {
  let database: TemporaryDatabase;
  let a: RunningServer;
  let b: RunningServer;

  const call = (server: RunningServer, path: string, init: RequestInit = {}) => fetch(`${server.baseUrl}${path}`, init);
  const form = (server: RunningServer, path: string, body: Record<string, string>) =>
    call(server, path, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
  const json = (server: RunningServer, method: string, path: string, body: unknown, authorization?: string) =>
    call(server, path, { method, headers: { 'Content-Type': 'application/json', ...(authorization ? { Authorization: authorization } : {}) }, body: JSON.stringify(body) });
  async function register(username: string, password = 'fleet-password-1') {
    const response = await json(a, 'POST', '/auth', { username, password });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: number }).id;
  }

  const keyPrefix = `gatehouse-test-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
      KEY_ENCRYPTION_SECRET: 'a-secret-both-instances-share-32-bytes+',
      // The address of the proxy in front of both, as in deploy/: one issuer for the deployment.
      PUBLIC_URL: 'http://127.0.0.1:8080',
      KEY_PUBLISH_AHEAD: '0',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      THROTTLE_LOGIN_FAILURES: '4',
    };
    // Started together: the migrations must run once, not in a race.
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it('report each dependency in /health', async () => {
    for (const server of [a, b]) {
      const health = (await (await call(server, '/health')).json()) as { details: Record<string, { status: string }> };
      expect(health.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
    }
  });

  it('survive malformed messages on their Redis channel, ignoring them, and still hear real changes', async () => {
    const publisher = new Redis(REDIS_URL);
    try {
      for (const message of [
        'not json',
        '',
        'null',
        '[]',
        '42',
        '{"instance":"x"}',
        '{"instance":"x","event":"user.deleted","payload":{"userId":"1; DROP TABLE users"}}',
        '{"instance":7,"event":"user.deleted","payload":{"userId":1}}',
        '{"instance":"x","event":"user.deleted","payload":{"userId":1e400}}',
        '{"instance":"x","event":"process.exit","payload":{}}',
        '{"instance":"x","event":"token.revoked","payload":{"jti":{"$gt":""},"expiresAt":1}}',
      ]) {
        await publisher.publish(`${keyPrefix}events`, message);
      }
    } finally {
      publisher.disconnect();
    }
    for (const server of [a, b]) {
      expect(server.process.exitCode).toBeNull();
      expect((await call(server, '/health')).status).toBe(200);
      await server.waitForOutput('ignored a malformed message');
    }
  });

  it('started together, agree on one signing key, and publish the same key set', async () => {
    const [fromA, fromB] = await Promise.all([a, b].map(async (server) => (await (await call(server, '/.well-known/jwks.json')).json()) as { keys: { kid: string }[] }));
    expect(fromA.keys).toHaveLength(1);
    expect(fromB).toEqual(fromA);
  });

  it('see on B a key rotated on A: B verifies the new key’s tokens at once, and the old ones still work', async () => {
    await register('rotator');
    const tokenOf = async (server: RunningServer) =>
      ((await (await form(server, '/auth/token', { username: 'rotator', password: 'fleet-password-1' })).json()) as { access_token: string }).access_token;
    const before = await tokenOf(a);
    const rotated = await call(a, '/keys/rotate', { method: 'POST', headers: { Authorization: basic(ADMIN.username, ADMIN.password) } });
    expect(rotated.status).toBe(201);
    const { kid } = (await rotated.json()) as { kid: string };
    const after = await tokenOf(a);
    expect(JSON.parse(Buffer.from(after.split('.')[0], 'base64url').toString()).kid).toBe(kid);
    for (const token of [before, after]) expect((await call(b, '/', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(((await (await call(b, '/.well-known/jwks.json')).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid)).toContain(kid);
  });

  it('refuse on B, and report inactive in B’s introspection, an access token revoked on A', async () => {
    await register('revoked-fleet');
    const { access_token: token } = (await (await form(a, '/auth/token', { username: 'revoked-fleet', password: 'fleet-password-1' })).json()) as { access_token: string };
    expect((await call(b, '/', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await form(a, '/auth/revoke', { token, token_type_hint: 'access_token' })).status).toBe(200);
    expect((await call(b, '/', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
    const introspected = await call(b, '/auth/introspect', {
      method: 'POST',
      headers: { Authorization: basic(ADMIN.username, ADMIN.password), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    expect(await introspected.json()).toEqual({ active: false });
  });

  it('refuse on B, at the very next request, a token revoked on A: B acknowledged the message before A answered (20 rounds)', async () => {
    await register('revoked-at-once');
    const accepted: number[] = [];
    for (let round = 0; round < 20; round++) {
      const { access_token: token } = (await (await form(a, '/auth/token', { username: 'revoked-at-once', password: 'fleet-password-1' })).json()) as { access_token: string };
      expect((await call(b, '/', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await form(a, '/auth/revoke', { token, token_type_hint: 'access_token' })).status).toBe(200);
      if ((await call(b, '/', { headers: { Authorization: `Bearer ${token}` } })).status !== 401) accepted.push(round);
    }
    expect(accepted).toEqual([]);
  });

  it('refuse on B the access and refresh tokens of a session ended on A', async () => {
    await register('two-devices');
    const login = async () => (await (await form(a, '/auth/token', { username: 'two-devices', password: 'fleet-password-1' })).json()) as { access_token: string; refresh_token: string };
    const laptop = await login();
    const phone = await login();
    const listed = (await (await call(b, '/auth/sessions', { headers: { Authorization: `Bearer ${laptop.access_token}` } })).json()) as { id: string; current: boolean }[];
    expect(listed).toHaveLength(2);
    const phoneSession = listed.find((session) => !session.current)!;
    expect((await call(a, `/auth/sessions/${phoneSession.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${laptop.access_token}` } })).status).toBe(204);
    expect((await call(b, '/', { headers: { Authorization: `Bearer ${phone.access_token}` } })).status).toBe(401);
    expect((await form(b, '/auth/token', { grant_type: 'refresh_token', refresh_token: phone.refresh_token })).status).toBe(401);
    expect((await call(b, '/', { headers: { Authorization: `Bearer ${laptop.access_token}` } })).status).toBe(200);
  });

  it('accept once on B an mfa_token issued by A', async () => {
    await register('two-factor-fleet');
    const password = 'fleet-password-1';
    const { access_token: token } = (await (await form(a, '/auth/token', { username: 'two-factor-fleet', password })).json()) as { access_token: string };
    const bearer = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const { secret } = (await (await call(a, '/auth/mfa/totp', { method: 'POST', headers: bearer, body: JSON.stringify({ password }) })).json()) as { secret: string };
    const now = Math.floor(Date.now() / 1000);
    expect((await call(a, '/auth/mfa/totp/confirm', { method: 'POST', headers: bearer, body: JSON.stringify({ code: await generate({ secret, epoch: now }) }) })).status).toBe(200);

    const challenge = await form(a, '/auth/token', { username: 'two-factor-fleet', password });
    expect(challenge.status).toBe(403);
    const { mfa_token } = (await challenge.json()) as { mfa_token: string };
    const grant = { grant_type: 'urn:gatehouse:params:oauth:grant-type:mfa-otp', mfa_token, otp: await generate({ secret, epoch: now + 30 }) };
    expect((await form(b, '/auth/token', grant)).status).toBe(200);
    expect((await form(a, '/auth/token', { ...grant, otp: await generate({ secret, epoch: now - 30 }) })).status).toBe(401);
  });

  it('accept on B a token issued by A', async () => {
    await register('roamer');
    const { access_token: token } = (await (await form(a, '/auth/token', { username: 'roamer', password: 'fleet-password-1' })).json()) as { access_token: string };
    const greeting = await call(b, '/', { headers: { Authorization: `Bearer ${token}` } });
    expect(greeting.status).toBe(200);
  });

  it('refuse on B, within one second, the Basic credentials whose password was changed on A', async () => {
    await register('changer');
    const old = basic('changer', 'fleet-password-1');
    expect((await call(b, '/protected', { headers: { Authorization: old } })).status).toBe(200); // now cached on B
    const changed = await json(a, 'PUT', '/auth/password', { currentPassword: 'fleet-password-1', newPassword: 'fleet-password-2' }, old);
    expect(changed.status).toBe(204);
    const started = performance.now();
    let status = 200;
    while (status === 200 && performance.now() - started < 2000) {
      status = (await call(b, '/protected', { headers: { Authorization: old } })).status;
    }
    const elapsed = performance.now() - started;
    console.log(`invalidation from A to B: the old password was refused on B ${elapsed.toFixed(1)} ms after A answered 204`);
    expect(status).toBe(401);
    expect(elapsed).toBeLessThan(1000);
  });

  it('count failed logins sent to A and B together', async () => {
    await register('guessed');
    for (const server of [a, b, a, b]) {
      expect((await form(server, '/auth/token', { username: 'guessed', password: 'wrong-password' })).status).toBe(401);
    }
    const blocked = await form(a, '/auth/token', { username: 'guessed', password: 'fleet-password-1' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await form(b, '/auth/token', { username: 'guessed', password: 'fleet-password-1' })).status).toBe(429);
  });

  it('check at most the limit of 30 parallel guesses for one username, spread over A and B (20 rounds)', async () => {
    const checked: number[] = [];
    for (let round = 0; round < 20; round++) {
      const username = `swarmed-${round}`;
      await register(username);
      const statuses = await Promise.all(
        Array.from({ length: 30 }, (_, index) => form(index % 2 ? b : a, '/auth/token', { username, password: `wrong-password-${index}` }).then((response) => response.status)),
      );
      expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
      checked.push(statuses.filter((status) => status === 401).length);
    }
    console.log(`guesses checked per round of 30 over two instances (limit 4): ${checked.join(' ')}`);
    expect(Math.max(...checked)).toBeLessThanOrEqual(4);
  });

  it('let exactly one of 20 concurrent uses of one refresh token, spread over A and B, win', async () => {
    await register('racer');
    const { refresh_token: refreshToken } = (await (await form(a, '/auth/token', { username: 'racer', password: 'fleet-password-1' })).json()) as { refresh_token: string };
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, index) => form(index % 2 ? b : a, '/auth/token', { grant_type: 'refresh_token', refresh_token: refreshToken }).then((response) => response.status)),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(19);
  });

  it('refuse on B a user deleted on A, Bearer and Basic', async () => {
    const id = await register('leaver');
    const credentials = basic('leaver', 'fleet-password-1');
    const { access_token: token } = (await (await form(b, '/auth/token', { username: 'leaver', password: 'fleet-password-1' })).json()) as { access_token: string };
    expect((await call(b, '/protected', { headers: { Authorization: credentials } })).status).toBe(200);
    expect((await call(b, '/protected', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    const deleted = await call(a, `/users/${id}`, { method: 'DELETE', headers: { Authorization: basic(ADMIN.username, ADMIN.password) } });
    expect(deleted.status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await call(b, '/protected', { headers: { Authorization: credentials } })).status).toBe(401);
    expect((await call(b, '/protected', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
