import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, expectNoLeak, type TestApp } from './helpers/app.js';

const PASSWORD = 'session-password-1';
const ADMIN = { username: 'session-admin', password: 'keeper-of-all-sessions' };

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, TRUST_PROXY: 'loopback' });
});
afterAll(() => testApp.close());

interface Tokens {
  access_token: string;
  refresh_token: string;
}
interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  createdAddress: string | null;
  createdUserAgent: string | null;
  lastAddress: string | null;
  lastUserAgent: string | null;
  current: boolean;
}

async function register(username: string): Promise<number> {
  return (await testApp.http().post('/auth').send({ username, password: PASSWORD }).expect(201)).body.id;
}

/** A login from a device: its address (X-Forwarded-For, the app trusts loopback) and user agent. */
async function login(username: string, device = { address: '203.0.113.10', userAgent: 'device-a' }): Promise<Tokens> {
  const response = await testApp.http().post('/auth/token').set('X-Forwarded-For', device.address).set('User-Agent', device.userAgent).type('form').send({ username, password: PASSWORD }).expect(200);
  return response.body;
}

const bearer = (tokens: Tokens) => `Bearer ${tokens.access_token}`;
const list = async (tokens: Tokens): Promise<SessionView[]> => (await testApp.http().get('/auth/sessions').set('Authorization', bearer(tokens)).expect(200)).body;
const greet = (tokens: Tokens) => testApp.http().get('/').set('Authorization', bearer(tokens));
const refresh = (tokens: Tokens) => testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
const adminAuthorization = () => basic(ADMIN.username, ADMIN.password);

describe('GET /auth/sessions', () => {
  it('lists the caller’s live sessions, newest first, with the address and user agent of the login and of the last use, the current one marked', async () => {
    await register('lister');
    const laptop = await login('lister', { address: '203.0.113.1', userAgent: 'Laptop/1.0' });
    const phone = await login('lister', { address: '198.51.100.2', userAgent: 'Phone/2.0' });

    const fromPhone = await list(phone);
    expect(fromPhone).toHaveLength(2);
    expect(fromPhone[0]).toMatchObject({ createdAddress: '198.51.100.2', createdUserAgent: 'Phone/2.0', lastAddress: '198.51.100.2', lastUserAgent: 'Phone/2.0', current: true });
    expect(fromPhone[1]).toMatchObject({ createdAddress: '203.0.113.1', createdUserAgent: 'Laptop/1.0', current: false });
    expect(fromPhone[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(fromPhone[0].expiresAt)).toBeGreaterThan(Date.now());
    expect(Object.keys(fromPhone[0]).sort()).toEqual(['clientId', 'clientName', 'createdAddress', 'createdAt', 'createdUserAgent', 'current', 'expiresAt', 'id', 'kind', 'lastAddress', 'lastUsedAt', 'lastUserAgent']);
    // A first-party login: no application, a token session.
    expect(fromPhone[0]).toMatchObject({ kind: 'token', clientId: null, clientName: null });
    expect((await list(laptop)).map((session) => session.current)).toEqual([false, true]);
  });

  it('records a refresh as the session’s last use, from where it came', async () => {
    await register('refresher');
    const first = await login('refresher', { address: '203.0.113.3', userAgent: 'Old/1.0' });
    const [before] = await list(first);
    const refreshed = await testApp.http().post('/auth/token').set('X-Forwarded-For', '192.0.2.99').set('User-Agent', 'New/2.0').type('form').send({ grant_type: 'refresh_token', refresh_token: first.refresh_token }).expect(200);
    const [after] = await list(refreshed.body);
    expect(after).toMatchObject({ id: before.id, createdAddress: '203.0.113.3', createdUserAgent: 'Old/1.0', lastAddress: '192.0.2.99', lastUserAgent: 'New/2.0', current: true });
    expect(Date.parse(after.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(before.lastUsedAt));
  });

  it('leaves out sessions that ended: logged out, or from before a password change', async () => {
    await register('leaver');
    const kept = await login('leaver');
    const loggedOut = await login('leaver');
    await testApp.http().post('/auth/revoke').type('form').send({ token: loggedOut.refresh_token }).expect(200);
    expect((await list(kept)).map((session) => session.current)).toEqual([true]);

    await testApp.http().put('/auth/password').set('Authorization', bearer(kept)).send({ currentPassword: PASSWORD, newPassword: 'session-password-2' }).expect(204);
    const relogin = await testApp.http().post('/auth/token').type('form').send({ username: 'leaver', password: 'session-password-2' }).expect(200);
    expect((await list(relogin.body)).map((session) => session.current)).toEqual([true]);
  });

  it('shows no current session to Basic credentials', async () => {
    await register('basic-lister');
    await login('basic-lister');
    const response = await testApp.http().get('/auth/sessions').set('Authorization', basic('basic-lister', PASSWORD)).expect(200);
    expect(response.body.map((session: SessionView) => session.current)).toEqual([false]);
  });

  it('needs authentication', async () => {
    await testApp.http().get('/auth/sessions').expect(401);
  });
});

describe('DELETE /auth/sessions/{id}', () => {
  it('ends that session: its refresh token is refused, its access token too, and the other sessions live on', async () => {
    await register('ender');
    const laptop = await login('ender');
    const phone = await login('ender');
    const phoneSession = (await list(phone)).find((session) => session.current)!;

    await testApp.http().delete(`/auth/sessions/${phoneSession.id}`).set('Authorization', bearer(laptop)).expect(204);
    await greet(phone).expect(401);
    expect((await refresh(phone).expect(401)).body.error).toBe('invalid_grant');
    await greet(laptop).expect(200);
    expect((await list(laptop)).map((session) => session.id)).not.toContain(phoneSession.id);
  });

  it('reports the access token of an ended session inactive in introspection', async () => {
    await register('introspected');
    const tokens = await login('introspected');
    const [session] = await list(tokens);
    await testApp.http().delete(`/auth/sessions/${session.id}`).set('Authorization', bearer(tokens)).expect(204);
    const introspection = await testApp.http().post('/auth/introspect').set('Authorization', adminAuthorization()).type('form').send({ token: tokens.access_token }).expect(200);
    expect(introspection.body).toEqual({ active: false });
  });

  it('answers 404, never 403, for another user’s session, an unknown one and one already ended; 400 for a malformed id', async () => {
    await register('owner');
    await register('prober');
    const owner = await login('owner');
    const prober = await login('prober');
    const [ownerSession] = await list(owner);

    const foreign = await testApp.http().delete(`/auth/sessions/${ownerSession.id}`).set('Authorization', bearer(prober)).expect(404);
    expect(foreign.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'No such session.' });
    await greet(owner).expect(200);
    await testApp.http().delete('/auth/sessions/00000000-0000-4000-8000-000000000000').set('Authorization', bearer(prober)).expect(404);
    const malformed = await testApp.http().delete('/auth/sessions/not-a-uuid').set('Authorization', bearer(prober)).expect(400);
    expectNoLeak(malformed.body);

    const [proberSession] = await list(prober);
    await testApp.http().delete(`/auth/sessions/${proberSession.id}`).set('Authorization', basic('prober', PASSWORD)).expect(204);
    await testApp.http().delete(`/auth/sessions/${proberSession.id}`).set('Authorization', basic('prober', PASSWORD)).expect(404);
  });
});

describe('DELETE /auth/sessions', () => {
  it('ends every other session and keeps the current one', async () => {
    await register('others');
    const [first, second, current] = [await login('others'), await login('others'), await login('others')];
    await testApp.http().delete('/auth/sessions').set('Authorization', bearer(current)).expect(204);
    await greet(first).expect(401);
    await greet(second).expect(401);
    await refresh(first).expect(401);
    await greet(current).expect(200);
    await refresh(current).expect(200);
  });

  it('with all=true ends the current one too', async () => {
    await register('everywhere');
    const [other, current] = [await login('everywhere'), await login('everywhere')];
    await testApp.http().delete('/auth/sessions?all=true').set('Authorization', bearer(current)).expect(204);
    await greet(current).expect(401);
    await greet(other).expect(401);
    await refresh(current).expect(401);
  });

  it('refuses an all that is not true or false with 400, ending nothing', async () => {
    await register('maybe');
    const tokens = await login('maybe');
    await testApp.http().delete('/auth/sessions?all=maybe').set('Authorization', bearer(tokens)).expect(400);
    await greet(tokens).expect(200);
  });

  it('touches no other user’s sessions', async () => {
    await register('bystander');
    await register('cleaner');
    const bystander = await login('bystander');
    await testApp.http().delete('/auth/sessions?all=true').set('Authorization', bearer(await login('cleaner'))).expect(204);
    await greet(bystander).expect(200);
  });
});

describe('the sessions of an account, for admins', () => {
  it('GET /users/{id}/sessions lists them and DELETE /users/{id}/sessions ends them all', async () => {
    const id = await register('managed');
    const [one, two] = [await login('managed'), await login('managed')];
    const listed = await testApp.http().get(`/users/${id}/sessions`).set('Authorization', adminAuthorization()).expect(200);
    expect(listed.body).toHaveLength(2);
    expect(listed.body.every((session: SessionView) => session.current === false)).toBe(true);

    await testApp.http().delete(`/users/${id}/sessions`).set('Authorization', adminAuthorization()).expect(204);
    await greet(one).expect(401);
    await refresh(two).expect(401);
    expect((await testApp.http().get(`/users/${id}/sessions`).set('Authorization', adminAuthorization()).expect(200)).body).toEqual([]);
    // The password still works: a new login is a new session.
    await login('managed');
  });

  it('answers 404 for an unknown account, 400 for a bad id, 403 for a non-admin', async () => {
    const id = await register('not-admin');
    const tokens = await login('not-admin');
    await testApp.http().get('/users/999999/sessions').set('Authorization', adminAuthorization()).expect(404);
    await testApp.http().delete('/users/999999/sessions').set('Authorization', adminAuthorization()).expect(404);
    await testApp.http().get('/users/abc/sessions').set('Authorization', adminAuthorization()).expect(400);
    await testApp.http().get(`/users/${id}/sessions`).set('Authorization', bearer(tokens)).expect(403);
    await testApp.http().delete(`/users/${id}/sessions`).set('Authorization', bearer(tokens)).expect(403);
    await greet(tokens).expect(200);
  });
});

describe('ending a session while it is refreshed (20 rounds)', () => {
  it('leaves nothing of it working, whichever wins', async () => {
    await register('racer');
    const keeper = await login('racer');
    for (let round = 0; round < 20; round++) {
      const tokens = await login('racer');
      const session = (await list(tokens)).find((view) => view.current)!;
      const [refreshed] = await Promise.all([refresh(tokens), testApp.http().delete(`/auth/sessions/${session.id}`).set('Authorization', bearer(keeper)).expect(204)]);
      if (refreshed.status === 200) {
        await greet(refreshed.body).expect(401);
        await refresh(refreshed.body).expect(401);
      } else {
        expect(refreshed.status).toBe(401);
      }
      await greet(tokens).expect(401);
    }
    await greet(keeper).expect(200);
  });
});
