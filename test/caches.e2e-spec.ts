import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { User } from '../src/users/entities/user.entity.js';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';

let testApp: TestApp;
const ADMIN = basic('keeper', 'locked-cellar-door');

beforeAll(async () => {
  testApp = await createTestApp({ ADMIN_USERNAME: 'keeper', ADMIN_PASSWORD: 'locked-cellar-door' });
});
afterAll(() => testApp.close());

/** How many times the users table is read while `send` runs. */
async function countQueries(send: () => Promise<unknown>): Promise<number> {
  const users = testApp.app.get<Repository<User>>(getRepositoryToken(User));
  const spies = [vi.spyOn(users, 'findOneBy'), vi.spyOn(users, 'findOne'), vi.spyOn(users, 'find')];
  try {
    await send();
    return spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
}

describe('caches', () => {
  it('a repeated Bearer request reads the user from the cache, not the database', async () => {
    const { accessToken } = await registerAndLogin(testApp, 'cached-bearer');
    await testApp.http().get('/').set('Authorization', `Bearer ${accessToken}`).expect(200);
    expect(await countQueries(() => testApp.http().get('/').set('Authorization', `Bearer ${accessToken}`).expect(200))).toBe(0);
  });

  it('a repeated Basic request costs neither a bcrypt nor a query; a wrong password is never served from the cache', async () => {
    const { password } = await registerAndLogin(testApp, 'cached-basic');
    await testApp.http().get('/protected').set('Authorization', basic('cached-basic', password)).expect(200);
    expect(await countQueries(() => testApp.http().get('/protected').set('Authorization', basic('cached-basic', password)).expect(200))).toBe(0);
    await testApp.http().get('/protected').set('Authorization', basic('cached-basic', `${password}x`)).expect(401);
  });

  it('a password change is honoured on the very next request', async () => {
    const { password } = await registerAndLogin(testApp, 'cache-pw');
    const old = basic('cache-pw', password);
    await testApp.http().get('/protected').set('Authorization', old).expect(200);
    await testApp.http().put('/auth/password').set('Authorization', old).send({ currentPassword: password, newPassword: 'renewed-cellar-key' }).expect(204);
    await testApp.http().get('/protected').set('Authorization', old).expect(401);
    await testApp.http().get('/protected').set('Authorization', basic('cache-pw', 'renewed-cellar-key')).expect(200);
  });

  it('a role change is honoured on the very next request, for Bearer and Basic', async () => {
    const { user, password, accessToken } = await registerAndLogin(testApp, 'cache-role');
    const viaBasic = basic('cache-role', password);
    await testApp.http().get('/protected-admin').set('Authorization', viaBasic).expect(403);
    await testApp.http().get('/protected-admin').set('Authorization', `Bearer ${accessToken}`).expect(403);
    await testApp.http().patch(`/users/${user.id}`).set('Authorization', ADMIN).send({ role: 'admin' }).expect(200);
    await testApp.http().get('/protected-admin').set('Authorization', viaBasic).expect(200);
    await testApp.http().get('/protected-admin').set('Authorization', `Bearer ${accessToken}`).expect(200);
    await testApp.http().patch(`/users/${user.id}`).set('Authorization', ADMIN).send({ role: 'user' }).expect(200);
    await testApp.http().get('/protected-admin').set('Authorization', viaBasic).expect(403);
    await testApp.http().get('/protected-admin').set('Authorization', `Bearer ${accessToken}`).expect(403);
  });

  it('a deletion is honoured on the very next request, for Bearer and Basic', async () => {
    const { user, password, accessToken } = await registerAndLogin(testApp, 'cache-gone');
    await testApp.http().get('/protected').set('Authorization', basic('cache-gone', password)).expect(200);
    await testApp.http().get('/protected').set('Authorization', `Bearer ${accessToken}`).expect(200);
    await testApp.http().delete(`/users/${user.id}`).set('Authorization', ADMIN).expect(204);
    await testApp.http().get('/protected').set('Authorization', basic('cache-gone', password)).expect(401);
    await testApp.http().get('/protected').set('Authorization', `Bearer ${accessToken}`).expect(401);
  });
});
