import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../database/migrations/index.js';
import { Session } from '../../sessions/entities/session.entity.js';
import { User } from '../../users/entities/user.entity.js';
import { withDefaults } from '../clients/client-metadata.js';
import { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { LogoutNotification } from './entities/logout-notification.entity.js';
import { LogoutOutboxService, SWEEP_WINDOW_MS } from './logout-outbox.service.js';

const dataSources: DataSource[] = [];
afterEach(async () => {
  await Promise.all(dataSources.splice(0).map((dataSource) => dataSource.destroy()));
});

/** The real schema in memory: a user, a client that takes logout tokens and one that does not, and the outbox over them. */
async function setUp() {
  const dataSource = await new DataSource({ type: 'sqlite', database: ':memory:', entities: [User, Session, OAuthClient, LogoutNotification], migrations, logging: false }).initialize();
  dataSources.push(dataSource);
  await dataSource.runMigrations();
  const user = await dataSource.getRepository(User).save({ username: 'ann', usernameKey: 'ann', passwordHash: 'x' });
  const clients = dataSource.getRepository(OAuthClient);
  for (const [clientId, backchannelLogoutUri] of [['listening', 'https://rp.example.com/bcl'], ['deaf', null]] as const) {
    await clients.insert({ ...withDefaults({ clientName: clientId, redirectUris: ['https://rp.example.com/cb'], backchannelLogoutUri }), clientId, secretHash: null, previousSecretHash: null, previousSecretExpiresAt: null });
  }
  const sessions = dataSource.getRepository(Session);
  const session = async (details: Partial<Session>) => {
    const now = new Date();
    const row = { id: randomUUID(), userId: user.id, credentialsVersion: 1, createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 3_600_000), kind: 'token' as const, revokedAt: null, ...details };
    await sessions.insert(row);
    return row;
  };
  const outbox = new LogoutOutboxService(dataSource.getRepository(LogoutNotification));
  const rows = () => dataSource.getRepository(LogoutNotification).find({ order: { id: 'ASC' } });
  return { dataSource, user, session, sessions, outbox, rows };
}

describe('LogoutOutboxService', () => {
  it('records, for an ended browser session, each client with a session grown from it that registered a URI, once however often it is told', async () => {
    const { user, session, outbox, rows } = await setUp();
    const browser = await session({ kind: 'browser', clientId: 'listening' });
    const child = await session({ clientId: 'listening', parentId: browser.id });
    await session({ clientId: 'deaf', parentId: browser.id });
    await outbox.recordForSessions([browser.id, child.id]);
    await outbox.recordForSessions([browser.id]);
    await outbox.recordForSessions([child.id]);
    expect((await rows()).map(({ clientId, sid, sub, attempts }) => ({ clientId, sid, sub, attempts }))).toEqual([{ clientId: 'listening', sid: browser.id, sub: String(user.id), attempts: 0 }]);
  });

  it("records a client's own session ending alone with its browser session as sid, and nothing for a session without one (the password grant)", async () => {
    const { session, outbox, rows } = await setUp();
    const browser = await session({ kind: 'browser' });
    const child = await session({ clientId: 'listening', parentId: browser.id });
    const passwordGrant = await session({ clientId: 'listening' });
    await outbox.recordForSessions([passwordGrant.id]);
    expect(await rows()).toEqual([]);
    await outbox.recordForSessions([child.id]);
    expect((await rows()).map(({ sid }) => sid)).toEqual([browser.id]);
  });

  it('tells a client again when it signed in anew in the same browser session after its first logout token, and not for what a token already covered', async () => {
    const { session, sessions, outbox, rows } = await setUp();
    const browser = await session({ kind: 'browser' });
    const first = await session({ clientId: 'listening', parentId: browser.id, createdAt: new Date(Date.now() - 60_000) });
    await outbox.recordForSessions([first.id]);
    // Single sign-on: the same client, the same browser session, a new session born after the first token.
    const again = await session({ clientId: 'listening', parentId: browser.id });
    await outbox.recordForSessions([browser.id, again.id]);
    await outbox.recordForSessions([browser.id, again.id, first.id]);
    await outbox.sweep();
    expect((await rows()).map(({ sid, sessionId }) => ({ sid, sessionId }))).toEqual([
      { sid: browser.id, sessionId: first.id },
      { sid: browser.id, sessionId: again.id },
    ]);
    // Two sessions of one client ending together are one token, keyed by the newer.
    const other = await session({ kind: 'browser' });
    const older = await session({ clientId: 'listening', parentId: other.id, createdAt: new Date(Date.now() - 30_000) });
    const newer = await session({ clientId: 'listening', parentId: other.id });
    await sessions.update({ id: older.id }, { revokedAt: new Date() });
    await outbox.recordForSessions([other.id]);
    expect((await rows()).filter(({ sid }) => sid === other.id).map(({ sessionId }) => sessionId)).toEqual([newer.id]);
  });

  it('sweeps sessions that ended (by anyone, or by their lifetime) within the window and were not recorded, and no older ones', async () => {
    const { session, outbox, rows } = await setUp();
    const past = (ms: number) => new Date(Date.now() - ms);
    const expired = await session({ kind: 'browser', expiresAt: past(1_000) });
    await session({ clientId: 'listening', parentId: expired.id, expiresAt: past(1_000) });
    const revoked = await session({ kind: 'browser', revokedAt: past(60_000) });
    await session({ clientId: 'listening', parentId: revoked.id, revokedAt: past(60_000) });
    const longAgo = await session({ kind: 'browser', expiresAt: past(SWEEP_WINDOW_MS + 60_000) });
    await session({ clientId: 'listening', parentId: longAgo.id, expiresAt: past(SWEEP_WINDOW_MS + 60_000) });
    const live = await session({ kind: 'browser' });
    await session({ clientId: 'listening', parentId: live.id });
    await outbox.sweep();
    await outbox.sweep();
    expect((await rows()).map(({ sid }) => sid).sort()).toEqual([expired.id, revoked.id].sort());
  });

  it('gives each due row to one claimer; a lease that ran out is anyone’s again; only the holder settles', async () => {
    const { session, outbox, rows, dataSource } = await setUp();
    for (let index = 0; index < 10; index++) {
      const browser = await session({ kind: 'browser' });
      await session({ clientId: 'listening', parentId: browser.id });
      await outbox.recordForSessions([browser.id]);
    }
    const lease = () => new Date(Date.now() + 60_000);
    const [first, second] = await Promise.all([outbox.claimDue('a', 10, lease()), outbox.claimDue('b', 10, lease())]);
    expect(first.length + second.length).toBe(10);
    expect(new Set([...first, ...second].map(({ id }) => id)).size).toBe(10);
    expect(await outbox.claimDue('c', 10, lease())).toEqual([]);

    // 'a' died: its lease runs out, and 'c' takes its rows; 'a' can no longer settle them.
    const held = first.length ? first : second;
    const holder = first.length ? 'a' : 'b';
    await dataSource.getRepository(LogoutNotification).update({ claimedBy: holder }, { claimedUntil: new Date(Date.now() - 1) });
    const reclaimed = await outbox.claimDue('c', 10, lease());
    expect(reclaimed.map(({ id }) => id).sort()).toEqual(held.map(({ id }) => id).sort());
    await outbox.settle(held[0], holder, { deliveredAt: new Date() });
    expect((await rows()).find(({ id }) => id === held[0].id)?.deliveredAt).toBeNull();
    await outbox.settle(reclaimed[0], 'c', { deliveredAt: new Date() });
    expect((await rows()).find(({ id }) => id === reclaimed[0].id)).toMatchObject({ deliveredAt: expect.any(Date), attempts: 1, claimedUntil: null });
    expect(await outbox.countPending()).toBe(9);
  });

  it('does not claim a row before its next try is due', async () => {
    const { session, outbox, dataSource } = await setUp();
    const browser = await session({ kind: 'browser' });
    await session({ clientId: 'listening', parentId: browser.id });
    await outbox.recordForSessions([browser.id]);
    await dataSource.getRepository(LogoutNotification).update({ sid: browser.id }, { nextAttemptAt: new Date(Date.now() + 60_000) });
    expect(await outbox.claimDue('a', 10, new Date(Date.now() + 60_000))).toEqual([]);
  });
});
