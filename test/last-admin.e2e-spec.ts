import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';

// A file of its own: passport keeps strategies in one global registry, so one app per test process.
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp({ ADMIN_USERNAME: 'solo', ADMIN_PASSWORD: 'one-of-a-kind' });
});
afterAll(() => testApp.close());

describe('the last admin', () => {
  it('cannot be demoted or deleted (409), but can once there is another admin', async () => {
    const asSolo = basic('solo', 'one-of-a-kind');
    const soloId = (await testApp.http().get('/auth/me').set('Authorization', asSolo).expect(200)).body.id;
    const demote = await testApp.http().patch(`/users/${soloId}`).set('Authorization', asSolo).send({ role: 'user' }).expect(409);
    expect(demote.body).toEqual({ statusCode: 409, message: 'The last admin cannot be demoted or deleted; make another admin first.', error: 'Conflict' });
    await testApp.http().delete(`/users/${soloId}`).set('Authorization', asSolo).expect(409);
    await testApp.http().get('/protected-admin').set('Authorization', asSolo).expect(200);

    const { user } = await registerAndLogin(testApp, 'deputy');
    await testApp.http().patch(`/users/${user.id}`).set('Authorization', asSolo).send({ role: 'admin' }).expect(200);
    // Two admins demoting each other at the same time: one must remain.
    const statuses = (
      await Promise.all([
        testApp.http().patch(`/users/${soloId}`).set('Authorization', asSolo).send({ role: 'user' }),
        testApp.http().patch(`/users/${user.id}`).set('Authorization', basic('deputy', 'correct-horse-battery')).send({ role: 'user' }),
      ])
    ).map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    const admins = (await testApp.http().get('/users').set('Authorization', statuses[0] === 200 ? basic('deputy', 'correct-horse-battery') : asSolo).expect(200)).body.items.filter(
      (account: { role: string }) => account.role === 'admin',
    );
    expect(admins).toHaveLength(1);
  });
});
