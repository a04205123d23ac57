import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedChange } from '../src/change-feed/entities/shared-change.entity.js';
import { CHANGE_FEED_INTERVAL_MS } from '../src/change-feed/change-feed.service.js';
import { basic, createTestApp, type TestApp } from './helpers/app.js';
import { createSharedDatabase } from './helpers/postgres.js';

const PASSWORD = 'feed-password-1';
const ADMIN = { username: 'feed-admin', password: 'keeper-of-the-feed' };

/**
 * Two instances on one database and no Redis at all: the change feed alone
 * carries revocations, ended sessions, password and role changes from one to
 * the other, within CHANGE_FEED_INTERVAL_MS and a query; a malformed row is
 * ignored, never fatal.
 */
describe('the change feed, without Redis', () => {
  let database: { url: string; drop: () => Promise<void> };
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    database = await createSharedDatabase();
    const env = { DATABASE_URL: database.url, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, KEY_ENCRYPTION_SECRET: 'a-secret-both-instances-share-32-bytes+' };
    a = await createTestApp(env);
    b = await createTestApp(env);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await database?.drop();
  });

  const login = async (app: TestApp, username: string, password = PASSWORD) =>
    (await app.http().post('/auth/token').type('form').send({ username, password }).expect(200)).body as { access_token: string; refresh_token: string };
  /** How long until `refused` holds on the other instance (ms); Infinity past a second. */
  const timeUntil = async (refused: () => Promise<boolean>) => {
    const started = performance.now();
    while (performance.now() - started < 1000) {
      if (await refused()) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return Infinity;
  };
  const bearerStatus = async (app: TestApp, token: string, path = '/protected') => (await app.http().get(path).set('Authorization', `Bearer ${token}`)).status;

  it('a token revoked on A is refused on B within the feed interval', async () => {
    await a.http().post('/auth').send({ username: 'feed-revoked', password: PASSWORD }).expect(201);
    const { access_token: token } = await login(a, 'feed-revoked');
    expect(await bearerStatus(b, token)).toBe(200);
    await a.http().post('/auth/revoke').type('form').send({ token, token_type_hint: 'access_token' }).expect(200);
    const elapsed = await timeUntil(async () => (await bearerStatus(b, token)) === 401);
    console.log(`change feed: a revocation on A refused on B after ${elapsed.toFixed(0)} ms (interval ${CHANGE_FEED_INTERVAL_MS} ms), no Redis`);
    expect(elapsed).toBeLessThan(CHANGE_FEED_INTERVAL_MS + 500);
  });

  it('a password change and a session ended on A hold on B; a role change too', async () => {
    const { body: user } = await a.http().post('/auth').send({ username: 'feed-changer', password: PASSWORD }).expect(201);
    const oldBasic = basic('feed-changer', PASSWORD);
    const tokens = await login(b, 'feed-changer');
    await b.http().get('/protected').set('Authorization', oldBasic).expect(200);
    await a.http().put('/auth/password').set('Authorization', oldBasic).send({ currentPassword: PASSWORD, newPassword: 'feed-password-2' }).expect(204);
    expect(await timeUntil(async () => (await b.http().get('/protected').set('Authorization', oldBasic)).status === 401)).toBeLessThan(1000);
    expect(await timeUntil(async () => (await bearerStatus(b, tokens.access_token)) === 401)).toBeLessThan(1000);

    const fresh = await login(b, 'feed-changer', 'feed-password-2');
    await a.http().patch(`/users/${user.id}`).set('Authorization', basic(ADMIN.username, ADMIN.password)).send({ role: 'admin' }).expect(200);
    expect(await timeUntil(async () => (await bearerStatus(b, fresh.access_token, '/protected-admin')) === 200)).toBeLessThan(1000);

    const second = await login(a, 'feed-changer', 'feed-password-2');
    const listed = (await a.http().get('/auth/sessions').set('Authorization', `Bearer ${second.access_token}`).expect(200)).body as { id: string; current: boolean }[];
    await a.http().delete(`/auth/sessions/${listed.find((session) => session.current)!.id}`).set('Authorization', `Bearer ${fresh.access_token}`).expect(204);
    expect(await timeUntil(async () => (await bearerStatus(b, second.access_token)) === 401)).toBeLessThan(1000);
    expect(await bearerStatus(b, fresh.access_token)).toBe(200);
  });

  it('ignores a malformed row, and goes on applying the next ones', async () => {
    const changes = a.app.get<Repository<SharedChange>>(getRepositoryToken(SharedChange));
    for (const [event, payload] of [
      ['token.revoked', 'not json'],
      ['token.revoked', '{"jti":{"$gt":""},"expiresAt":1}'],
      ['process.exit', '{}'],
      ['user.deleted', '{"userId":"1; DROP TABLE users"}'],
    ]) {
      await changes.insert({ instance: 'elsewhere', event, payload, createdAt: new Date() });
    }
    await a.http().post('/auth').send({ username: 'feed-after', password: PASSWORD }).expect(201);
    const { access_token: token } = await login(b, 'feed-after');
    await a.http().post('/auth/revoke').type('form').send({ token, token_type_hint: 'access_token' }).expect(200);
    expect(await timeUntil(async () => (await bearerStatus(b, token)) === 401)).toBeLessThan(1000);
    await b.http().get('/health').expect(200);
  });
});
