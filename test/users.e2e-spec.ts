import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshToken } from '../src/oauth/refresh-tokens/entities/refresh-token.entity.js';
import { basic, createTestApp, expectNoLeak, registerAndLogin, type TestApp } from './helpers/app.js';

let testApp: TestApp;
const ROOT = { username: 'root', password: 'trunk-and-branches' };
const asRoot = basic(ROOT.username, ROOT.password);
let rootId: number;

beforeAll(async () => {
  testApp = await createTestApp({ ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password });
  rootId = (await testApp.http().get('/auth/me').set('Authorization', asRoot).expect(200)).body.id;
});
afterAll(() => testApp.close());

const setRole = (id: number | string, role: unknown, authorization = asRoot) =>
  testApp.http().patch(`/users/${id}`).set('Authorization', authorization).send({ role });

describe('GET /users', () => {
  it('lists accounts sorted by id, paginated, without password hashes', async () => {
    for (const name of ['ann', 'ben', 'cat']) await registerAndLogin(testApp, `list-${name}`);
    const first = await testApp.http().get('/users?page=1&pageSize=2').set('Authorization', asRoot).expect(200);
    expect(first.body).toMatchObject({ page: 1, pageSize: 2, total: expect.any(Number) });
    expect(first.body.total).toBeGreaterThanOrEqual(4);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]).toEqual({ id: rootId, username: 'root', role: 'admin', email: null, emailVerified: false, createdAt: expect.any(String) });
    const second = await testApp.http().get('/users?page=2&pageSize=2').set('Authorization', asRoot).expect(200);
    const ids = [...first.body.items, ...second.body.items].map((user: { id: number }) => user.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(4);
    expectNoLeak(first.body);
    expect(JSON.stringify(first.body)).not.toMatch(/\$2[aby]\$/);
  });

  it('defaults to page 1 of 20', async () => {
    const response = await testApp.http().get('/users').set('Authorization', asRoot).expect(200);
    expect(response.body).toMatchObject({ page: 1, pageSize: 20 });
  });

  it.each(['page=0', 'page=-1', 'page=abc', 'page=1.5', 'pageSize=0', 'pageSize=101', 'pageSize=', 'page=1&page=2', 'sort=id'])(
    'answers ?%s with 400',
    async (query) => {
      const response = await testApp.http().get(`/users?${query}`).set('Authorization', asRoot).expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    },
  );

  it('is for admins only: 401 without credentials, 403 for a user', async () => {
    const { accessToken } = await registerAndLogin(testApp, 'plain-user');
    await testApp.http().get('/users').expect(401);
    const response = await testApp.http().get('/users').set('Authorization', `Bearer ${accessToken}`).expect(403);
    expect(response.body.message).toBe('You do not have permission to access this resource.');
  });
});

describe('PATCH /users/:id', () => {
  it('promotes and demotes, and the role counts from the very next request', async () => {
    const { user, accessToken } = await registerAndLogin(testApp, 'rising');
    const bearer = `Bearer ${accessToken}`;
    await testApp.http().get('/protected-admin').set('Authorization', bearer).expect(403);

    const promoted = await setRole(user.id, 'admin').expect(200);
    expect(promoted.body).toEqual({ id: user.id, username: 'rising', role: 'admin', email: null, emailVerified: false, createdAt: expect.any(String) });
    // Same token as before: the role is read from the database, not from the token.
    await testApp.http().get('/protected-admin').set('Authorization', bearer).expect(200);

    await setRole(user.id, 'user').expect(200);
    await testApp.http().get('/protected-admin').set('Authorization', bearer).expect(403);
  });

  it.each([
    ['an id that is not a number', 'abc', { role: 'admin' }, 400],
    ['id 0', '0', { role: 'admin' }, 400],
    ['an id beyond 32 bits', '99999999999', { role: 'admin' }, 400],
    ['an unknown id', '424242', { role: 'admin' }, 404],
    ['an unknown role', 'ROOT', { role: 'superuser' }, 400],
    ['a missing role', 'ROOT', {}, 400],
    ['an unknown field', 'ROOT', { role: 'user', username: 'renamed' }, 400],
  ])('answers %s with %i', async (_case, id, body, status) => {
    const response = await testApp.http().patch(`/users/${id === 'ROOT' ? rootId : id}`).set('Authorization', asRoot).send(body).expect(status);
    expectNoLeak(response.body);
  });
});

describe('DELETE /users/:id', () => {
  it('deletes the account: 204; its access token, Basic credentials and refresh tokens are refused from the next request', async () => {
    const { user, password, accessToken } = await registerAndLogin(testApp, 'leaving');
    const refreshToken = (await testApp.http().post('/auth/token').send({ username: 'leaving', password }).expect(200)).body.refresh_token;
    await testApp.http().delete(`/users/${user.id}`).set('Authorization', asRoot).expect(204);

    await testApp.http().get('/').set('Authorization', `Bearer ${accessToken}`).expect(401);
    await testApp.http().get('/').set('Authorization', basic('leaving', password)).expect(401);
    await testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: refreshToken }).expect(401);
    expect(await testApp.app.get<Repository<RefreshToken>>(getRepositoryToken(RefreshToken)).countBy({ userId: user.id })).toBe(0);
    await testApp.http().delete(`/users/${user.id}`).set('Authorization', asRoot).expect(404);
    // The name is free again.
    await testApp.http().post('/auth').send({ username: 'leaving', password: 'another-password' }).expect(201);
  });

  it.each([
    ['abc', 400],
    ['-5', 400],
    ['1e3', 400],
    ['424242', 404],
  ])('answers /users/%s with %i', async (id, status) => {
    await testApp.http().delete(`/users/${id}`).set('Authorization', asRoot).expect(status);
  });

  it('is for admins only', async () => {
    const { user, accessToken } = await registerAndLogin(testApp, 'not-admin');
    await testApp.http().delete(`/users/${user.id}`).set('Authorization', `Bearer ${accessToken}`).expect(403);
    await testApp.http().delete(`/users/${user.id}`).expect(401);
  });
});
