import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfiguration } from '../../config/configuration.js';
import { migrations } from '../../database/migrations/index.js';
import { User } from '../../users/entities/user.entity.js';
import { RefreshToken } from './entities/refresh-token.entity.js';
import { Session } from '../../sessions/entities/session.entity.js';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { EXPIRED_SESSION_RETENTION_MS, SessionsService } from '../../sessions/sessions.service.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { RefreshTokensService } from './refresh-tokens.service.js';

const HOUR = 3600;
const DAY = 86_400;
const defaultConfig = { refreshTokenTtlSeconds: HOUR, sessionMaxLifetimeSeconds: DAY };
const CLIENT = { clientAddress: '203.0.113.7', userAgent: 'spec', requestId: 'request-1' };

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const secondsFromNow = (seconds: number) => new Date(Date.now() + seconds * 1000);

const dataSources: DataSource[] = [];

/** A fresh in-memory database with the real schema (the migrations, foreign keys on) and the service over it. */
async function setUp(config: Pick<AppConfiguration, 'refreshTokenTtlSeconds' | 'sessionMaxLifetimeSeconds'> = defaultConfig) {
  const dataSource = new DataSource({ type: 'sqlite', database: ':memory:', entities: [User, Session, RefreshToken], migrations, logging: false });
  await dataSource.initialize();
  dataSources.push(dataSource);
  await dataSource.runMigrations();
  const users = dataSource.getRepository(User);
  const refreshTokens = dataSource.getRepository(RefreshToken);
  const sessions = dataSource.getRepository(Session);
  const fullConfig = { ...config, jwt: { accessTokenTtlSeconds: 900 } } as AppConfiguration;
  const sessionsService = new SessionsService(sessions, fullConfig, new EventEmitter2());
  const service = new RefreshTokensService(refreshTokens, sessionsService, fullConfig, new MetricsService({ metricsToken: null } as AppConfiguration));

  const addUser = async (username: string): Promise<User> => {
    await users.insert({ username, usernameKey: username, passwordHash: '$2b$04$' + 'x'.repeat(53), role: 'user' });
    return users.findOneByOrFail({ usernameKey: username });
  };
  const issued = async (user: User): Promise<string> => {
    const issued = await service.issue(user, CLIENT);
    expect(issued?.refreshToken).toEqual(expect.any(String));
    return issued!.refreshToken!;
  };
  const rowOf = (token: string) => refreshTokens.findOneOrFail({ where: { tokenHash: sha256(token) }, relations: { session: true } });
  return { dataSource, service, sessionsService, users, refreshTokens, sessions, addUser, issued, rowOf };
}

afterEach(async () => {
  await Promise.all(dataSources.splice(0).map((dataSource) => dataSource.destroy()));
});

describe('RefreshTokensService', () => {
  it('issues a 43-character base64url token and stores only its SHA-256 hex hash', async () => {
    const { dataSource, addUser, issued } = await setUp();
    const alice = await addUser('alice');
    const token = await issued(alice);

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows: Record<string, unknown>[] = await dataSource.query('SELECT * FROM refresh_tokens');
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('rotation returns a new token for the user and spends the old one, which then counts as reused', async () => {
    const { service, addUser, issued, rowOf } = await setUp();
    const alice = await addUser('alice');
    const first = await issued(alice);

    const rotation = await service.rotate(first, CLIENT);
    expect(rotation).toEqual({ ok: true, userId: alice.id, session: expect.objectContaining({ id: expect.any(String), expiresAt: expect.any(Date) }), next: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(rotation.ok && rotation.next).not.toBe(first);
    const spent = await rowOf(first);
    expect(spent.spentAt).toBeInstanceOf(Date);
    expect(await service.rotate(first, CLIENT)).toEqual({ ok: false, reason: 'reused', userId: alice.id, sessionId: spent.sessionId });
  });

  it('presenting a spent token revokes its session, so the successor fails too', async () => {
    const { service, addUser, issued, rowOf } = await setUp();
    const alice = await addUser('alice');
    const first = await issued(alice);
    const rotation = await service.rotate(first, CLIENT);
    if (!rotation.ok) throw new Error('the first rotation should succeed');

    // A replay: whoever holds the successor (the thief or the owner) loses it as well.
    expect(await service.rotate(first, CLIENT)).toMatchObject({ ok: false, reason: 'reused' });
    expect((await rowOf(first)).session!.revokedAt).toBeInstanceOf(Date);
    expect(await service.rotate(rotation.next, CLIENT)).toEqual({ ok: false, reason: 'ended' });
  });

  it('a spent token replayed after its expiry still counts as reused and ends the session', async () => {
    const { service, refreshTokens, addUser, issued, rowOf } = await setUp();
    const first = await issued(await addUser('alice'));
    const rotation = await service.rotate(first, CLIENT);
    if (!rotation.ok) throw new Error('the first rotation should succeed');
    await refreshTokens.update({ id: (await rowOf(first)).id }, { expiresAt: secondsFromNow(-1) });

    expect(await service.rotate(first, CLIENT)).toMatchObject({ ok: false, reason: 'reused' });
    expect(await service.rotate(rotation.next, CLIENT)).toEqual({ ok: false, reason: 'ended' });
  });

  it('two rotations of one token at once: exactly one wins, and the loser’s reuse ends the winner’s successor too', async () => {
    const { service, addUser, issued } = await setUp();
    const first = await issued(await addUser('alice'));

    // Both read the token as unspent before either spends it: only the conditional UPDATE decides.
    const results = await Promise.all([service.rotate(first, CLIENT), service.rotate(first, CLIENT)]);
    const winners = results.filter((result) => result.ok);
    expect(winners).toHaveLength(1);
    expect(results.filter((result) => !result.ok)).toMatchObject([{ ok: false, reason: 'reused' }]);
    expect(await service.rotate(winners[0].ok ? winners[0].next : '', CLIENT)).toEqual({ ok: false, reason: 'ended' });
  });

  it('revoke(token) ends that session, every token of it, while another session of the same user still rotates', async () => {
    const { service, addUser, issued } = await setUp();
    const alice = await addUser('alice');
    const laptop = await issued(alice);
    const phone = await issued(alice);
    const rotation = await service.rotate(laptop, CLIENT);
    if (!rotation.ok) throw new Error('the first rotation should succeed');

    // Revoked through the spent first token: the session goes, its live successor with it.
    await service.revoke(laptop);
    expect(await service.rotate(rotation.next, CLIENT)).toEqual({ ok: false, reason: 'ended' });
    expect(await service.rotate(phone, CLIENT)).toMatchObject({ ok: true, userId: alice.id });
  });

  it('revoking an unknown token is no error and ends nothing', async () => {
    const { service, addUser, issued } = await setUp();
    const token = await issued(await addUser('alice'));
    await expect(service.revoke(randomBytes(32).toString('base64url'))).resolves.toBeNull();
    expect(await service.rotate(token, CLIENT)).toMatchObject({ ok: true });
  });

  it('SessionsService.endAll ends every session of that user and no other user’s', async () => {
    const { service, sessionsService, addUser, issued } = await setUp();
    const alice = await addUser('alice');
    const bob = await addUser('bob');
    const aliceTokens = [await issued(alice), await issued(alice)];
    const bobToken = await issued(bob);

    await sessionsService.endAll(alice.id);
    for (const token of aliceTokens) expect(await service.rotate(token, CLIENT)).toEqual({ ok: false, reason: 'ended' });
    expect(await service.rotate(bobToken, CLIENT)).toMatchObject({ ok: true, userId: bob.id });
  });

  it('a raised credentials version (a password change) makes the session’s tokens fail', async () => {
    const { dataSource, service, addUser, issued } = await setUp();
    const alice = await addUser('alice');
    const bob = await addUser('bob');
    const aliceToken = await issued(alice);
    const bobToken = await issued(bob);

    await dataSource.query('UPDATE users SET credentials_version = credentials_version + 1 WHERE id = ?', [alice.id]);
    expect(await service.rotate(aliceToken, CLIENT)).toEqual({ ok: false, reason: 'ended' });
    expect(await service.rotate(bobToken, CLIENT)).toMatchObject({ ok: true, userId: bob.id });
  });

  it('a session issued for a credentials version the user no longer has is born dead', async () => {
    const { dataSource, service, addUser, issued } = await setUp();
    const alice = await addUser('alice');
    // The login verified the old password; the password changed before the session was written.
    await dataSource.query('UPDATE users SET credentials_version = credentials_version + 1 WHERE id = ?', [alice.id]);
    const token = await issued(alice);
    expect(await service.rotate(token, CLIENT)).toEqual({ ok: false, reason: 'ended' });
  });

  it('a session past its absolute end fails even while its token has not expired', async () => {
    const { service, sessions, addUser, issued, rowOf } = await setUp();
    const alice = await addUser('alice');
    const token = await issued(alice);
    const { sessionId, expiresAt } = await rowOf(token);
    // The token's own expiry is clamped to the session's, so only a session moved into the past reaches this check.
    await sessions.update({ id: sessionId }, { expiresAt: secondsFromNow(-1) });
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());

    expect(await service.rotate(token, CLIENT)).toEqual({ ok: false, reason: 'ended' });
  });

  it('a token expires its TTL after issue, and past that is refused as expired', async () => {
    const { service, refreshTokens, addUser, issued, rowOf } = await setUp();
    const alice = await addUser('alice');
    const before = Date.now();
    const token = await issued(alice);
    const after = Date.now();
    const { id, expiresAt } = await rowOf(token);
    expect(expiresAt.getTime()).toBeGreaterThanOrEqual(before + HOUR * 1000);
    expect(expiresAt.getTime()).toBeLessThanOrEqual(after + HOUR * 1000);

    // Time is moved in the database, not faked: a faked global Date breaks TypeORM's date hydration.
    await refreshTokens.update({ id }, { expiresAt: secondsFromNow(-1) });
    expect(await service.rotate(token, CLIENT)).toEqual({ ok: false, reason: 'expired' });
  });

  it('issue() purges expired tokens, and sessions expired longer ago than EXPIRED_SESSION_RETENTION_MS (the back-channel logout sweep must see them end first)', async () => {
    const { service, refreshTokens, sessions, addUser, issued, rowOf } = await setUp();
    const alice = await addUser('alice');
    const old = await rowOf(await issued(alice));
    const recent = await rowOf(await issued(alice));
    await refreshTokens.update({ id: old.id }, { expiresAt: secondsFromNow(-1) });
    await sessions.update({ id: old.sessionId }, { expiresAt: secondsFromNow(-EXPIRED_SESSION_RETENTION_MS / 1000 - 1) });
    await refreshTokens.update({ id: recent.id }, { expiresAt: secondsFromNow(-1) });
    await sessions.update({ id: recent.sessionId }, { expiresAt: secondsFromNow(-1) });

    const fresh = await issued(alice);
    expect((await refreshTokens.find()).map((row) => row.tokenHash)).toEqual([sha256(fresh)]);
    expect((await sessions.find()).map((row) => row.id)).not.toContain(old.sessionId);
    expect((await sessions.find()).map((row) => row.id)).toContain(recent.sessionId);
    expect(await sessions.count()).toBe(2);
    expect(await service.rotate(fresh, CLIENT)).toMatchObject({ ok: true });
  });

  it('issue() for a user deleted meanwhile returns null and leaves no session', async () => {
    const { service, users, sessions, refreshTokens, addUser } = await setUp();
    const alice = await addUser('alice');
    await users.delete({ id: alice.id });

    expect(await service.issue(alice, CLIENT)).toBeNull();
    expect(await sessions.count()).toBe(0);
    expect(await refreshTokens.count()).toBe(0);
  });

  it('a token never outlives its session, even with a TTL longer than the session’s lifetime', async () => {
    const { service, addUser, issued, rowOf } = await setUp({ refreshTokenTtlSeconds: DAY, sessionMaxLifetimeSeconds: HOUR });
    const alice = await addUser('alice');
    const first = await issued(alice);
    const firstRow = await rowOf(first);
    expect(firstRow.session!.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + HOUR * 1000);
    expect(firstRow.expiresAt.getTime()).toBe(firstRow.session!.expiresAt.getTime());

    const rotation = await service.rotate(first, CLIENT);
    if (!rotation.ok) throw new Error('the rotation should succeed');
    const nextRow = await rowOf(rotation.next);
    expect(nextRow.expiresAt.getTime()).toBe(firstRow.session!.expiresAt.getTime());
  });

  it('an unknown token is refused as unknown', async () => {
    const { service, addUser, issued } = await setUp();
    await issued(await addUser('alice'));
    expect(await service.rotate(randomBytes(32).toString('base64url'), CLIENT)).toEqual({ ok: false, reason: 'unknown' });
  });
});
