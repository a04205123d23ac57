import { getRepositoryToken } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { RefreshToken } from '../src/oauth/refresh-tokens/entities/refresh-token.entity.js';
import { Session } from '../src/sessions/entities/session.entity.js';
import { EXPIRED_SESSION_RETENTION_MS } from '../src/sessions/sessions.service.js';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';

let testApp: TestApp;
const INVALID_REFRESH = { statusCode: 401, error: 'invalid_grant', error_description: 'The refresh token is invalid, expired or revoked.', message: 'The refresh token is invalid, expired or revoked.' };

beforeAll(async () => {
  testApp = await createTestApp();
});
afterAll(() => testApp.close());

const refreshTokens = () => testApp.app.get<Repository<RefreshToken>>(getRepositoryToken(RefreshToken));
const login = (username: string, password: string) =>
  testApp.http().post('/auth/token').type('form').send({ grant_type: 'password', username, password });
const refresh = (refreshToken: string) =>
  testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: refreshToken });
const revoke = (body: Record<string, string>) => testApp.http().post('/auth/revoke').type('form').send(body);

describe('refresh tokens', () => {
  it('come with every password grant: opaque, 256 bits, stored only as a hash', async () => {
    const { user, password } = await registerAndLogin(testApp, 'kim');
    const response = await login('kim', password).expect(200);
    expect(response.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await refreshTokens().findBy({ userId: user.id });
    expect(stored.length).toBeGreaterThan(0);
    for (const row of stored) expect(row.tokenHash).not.toBe(response.body.refresh_token);
    expect(stored.map((row) => row.tokenHash)).toContain(
      (await import('node:crypto')).createHash('sha256').update(response.body.refresh_token).digest('hex'),
    );
  });

  it('rotate: each refresh gives a new access and refresh token and spends the old one; a working access token comes back', async () => {
    const { password } = await registerAndLogin(testApp, 'lee');
    const first = (await login('lee', password).expect(200)).body;
    const second = await refresh(first.refresh_token).expect(200);
    expect(second.body).toMatchObject({ token_type: 'bearer', expires_in: 1800, access_token: expect.any(String), refresh_token: expect.any(String) });
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(second.headers['cache-control']).toBe('no-store');
    await testApp.http().get('/').set('Authorization', `Bearer ${second.body.access_token}`).expect(200);
    await refresh(second.body.refresh_token).expect(200);
  });

  it('detect reuse: replaying the 2nd token of a chain of 5 revokes the 5th', async () => {
    const { password } = await registerAndLogin(testApp, 'max');
    const chain = [(await login('max', password).expect(200)).body.refresh_token as string];
    for (let step = 1; step < 5; step++) chain.push((await refresh(chain[step - 1]).expect(200)).body.refresh_token);
    expect(new Set(chain).size).toBe(5);

    const replay = await refresh(chain[1]).expect(401);
    expect(replay.body).toEqual(INVALID_REFRESH);
    // The newest token of the chain died with it.
    expect((await refresh(chain[4]).expect(401)).body).toEqual(INVALID_REFRESH);
  });

  it('revoke only the chain of one login: another login of the same user keeps working', async () => {
    const { password } = await registerAndLogin(testApp, 'ned');
    const laptop = (await login('ned', password).expect(200)).body.refresh_token;
    const phone = (await login('ned', password).expect(200)).body.refresh_token;
    const next = (await refresh(laptop).expect(200)).body.refresh_token;
    await refresh(laptop).expect(401); // reuse: the laptop chain dies
    await refresh(next).expect(401);
    await refresh(phone).expect(200);
  });

  it('let exactly one of 20 concurrent uses of one token win', async () => {
    const { password } = await registerAndLogin(testApp, 'oscar');
    const token = (await login('oscar', password).expect(200)).body.refresh_token;
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(token)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(19);
  });

  it.each([
    ['an unknown token', 'not-a-real-refresh-token'],
    ['an access token used as a refresh token', 'ACCESS'],
  ])('refuse %s with 401 invalid_grant', async (_case, token) => {
    const { accessToken } = await registerAndLogin(testApp, `p${Math.random().toString(36).slice(2, 10)}`);
    const response = await refresh(token === 'ACCESS' ? accessToken : token).expect(401);
    expect(response.body).toEqual(INVALID_REFRESH);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
  });

  it('refuse a refresh token used as an access token', async () => {
    const { password } = await registerAndLogin(testApp, 'quinn');
    const token = (await login('quinn', password).expect(200)).body.refresh_token;
    await testApp.http().get('/').set('Authorization', `Bearer ${token}`).expect(401);
  });

  it('refuse an expired token', async () => {
    const { password } = await registerAndLogin(testApp, 'rita');
    const token = (await login('rita', password).expect(200)).body.refresh_token;
    await refreshTokens().createQueryBuilder().update().set({ expiresAt: new Date(Date.now() - 1000) }).where({ spentAt: IsNull() }).execute();
    expect((await refresh(token).expect(401)).body).toEqual(INVALID_REFRESH);
  });

  it('answer a refresh_token grant without its token with 400 invalid_request', async () => {
    const response = await testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token' }).expect(400);
    expect(response.body).toMatchObject({ error: 'invalid_request', error_description: 'refresh_token is required' });
  });

  it('are purged from the table once expired, with their sessions once those ended long enough ago (EXPIRED_SESSION_RETENTION_MS), when new ones are written', async () => {
    const { user, password } = await registerAndLogin(testApp, 'sam');
    const sessions = testApp.app.get<Repository<Session>>(getRepositoryToken(Session));
    const past = new Date(Date.now() - 60_000);
    const longPast = new Date(Date.now() - EXPIRED_SESSION_RETENTION_MS - 60_000);
    await sessions.insert({ id: 'ended-session', userId: user.id, credentialsVersion: 1, expiresAt: longPast, lastUsedAt: longPast });
    await refreshTokens().insert({ userId: user.id, sessionId: 'ended-session', parentId: null, tokenHash: 'f'.repeat(64), expiresAt: past });
    const live = (await login('sam', password).expect(200)).body.refresh_token as string;
    await refreshTokens().update({ tokenHash: createHash('sha256').update(live).digest('hex') }, { expiresAt: past });
    await login('sam', password).expect(200);
    expect(await sessions.countBy({ id: 'ended-session' })).toBe(0);
    expect(await refreshTokens().countBy({ sessionId: 'ended-session' })).toBe(0);
    expect(await refreshTokens().countBy({ tokenHash: createHash('sha256').update(live).digest('hex') })).toBe(0);
  });

  it('end with their session after SESSION_MAX_LIFETIME, however often they were refreshed', async () => {
    const { password } = await registerAndLogin(testApp, 'tess');
    let token = (await login('tess', password).expect(200)).body.refresh_token as string;
    token = (await refresh(token).expect(200)).body.refresh_token;
    const sessions = testApp.app.get<Repository<Session>>(getRepositoryToken(Session));
    const stored = await refreshTokens().findOneByOrFail({ tokenHash: createHash('sha256').update(token).digest('hex') });
    await sessions.update({ id: stored.sessionId }, { expiresAt: new Date(Date.now() - 1000) });
    expect((await refresh(token).expect(401)).body).toEqual(INVALID_REFRESH);
  });
});

describe('POST /auth/revoke', () => {
  it('revokes a refresh token (form or JSON, with a hint): it then gives 401', async () => {
    const { password } = await registerAndLogin(testApp, 'tina');
    const viaForm = (await login('tina', password).expect(200)).body.refresh_token;
    const response = await revoke({ token: viaForm, token_type_hint: 'refresh_token' }).expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    await refresh(viaForm).expect(401);

    const viaJson = (await login('tina', password).expect(200)).body.refresh_token;
    await testApp.http().post('/auth/revoke').send({ token: viaJson }).expect(200);
    await refresh(viaJson).expect(401);
  });

  it('revokes the whole chain of that login', async () => {
    const { password } = await registerAndLogin(testApp, 'uma');
    const first = (await login('uma', password).expect(200)).body.refresh_token;
    const second = (await refresh(first).expect(200)).body.refresh_token;
    await revoke({ token: first }).expect(200);
    await refresh(second).expect(401);
  });

  it('answers 200 for an unknown token and for an access token (RFC 7009)', async () => {
    await revoke({ token: 'no-such-token' }).expect(200);
    const { accessToken } = await registerAndLogin(testApp, 'vera');
    await revoke({ token: accessToken, token_type_hint: 'access_token' }).expect(200);
  });

  it('answers a missing token with 400 invalid_request', async () => {
    const response = await revoke({ token_type_hint: 'refresh_token' }).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'invalid_request', error_description: 'token is required' });
  });
});

describe('PUT /auth/password', () => {
  it('changes the password: 204; the old one stops working for the token endpoint and Basic at once; refresh tokens die', async () => {
    const { password, accessToken } = await registerAndLogin(testApp, 'walt');
    const refreshToken = (await login('walt', password).expect(200)).body.refresh_token;
    await testApp.http().get('/protected').set('Authorization', basic('walt', password)).expect(200);

    await testApp.http().put('/auth/password').set('Authorization', `Bearer ${accessToken}`).send({ currentPassword: password, newPassword: 'a-brand-new-password' }).expect(204);

    await login('walt', password).expect(401);
    await testApp.http().get('/protected').set('Authorization', basic('walt', password)).expect(401);
    await refresh(refreshToken).expect(401);
    await login('walt', 'a-brand-new-password').expect(200);
    await testApp.http().get('/protected').set('Authorization', basic('walt', 'a-brand-new-password')).expect(200);
  });

  it('works with Basic authentication too', async () => {
    const { password } = await registerAndLogin(testApp, 'xena');
    await testApp.http().put('/auth/password').set('Authorization', basic('xena', password)).send({ currentPassword: password, newPassword: 'a-fresh-start-today' }).expect(204);
    await login('xena', 'a-fresh-start-today').expect(200);
  });

  it('answers a wrong current password with 401 and changes nothing', async () => {
    const { password, accessToken } = await registerAndLogin(testApp, 'yuri');
    const response = await testApp.http().put('/auth/password').set('Authorization', `Bearer ${accessToken}`).send({ currentPassword: 'not-my-password', newPassword: 'yuri-new-password' }).expect(401);
    expect(response.body).toEqual({ statusCode: 401, message: 'The current password is wrong.', error: 'Unauthorized' });
    await login('yuri', password).expect(200);
  });

  it.each([
    ['a new password under 8 characters', { newPassword: 'short' }],
    ['a new password over 72 bytes', { newPassword: 'x'.repeat(73) }],
    ['no new password', { newPassword: undefined }],
    ['an unknown field', { role: 'admin' }],
  ])('answers %s with 400 and changes nothing', async (_case, change) => {
    const { password, accessToken } = await registerAndLogin(testApp, `z${Math.random().toString(36).slice(2, 10)}`);
    const body = { currentPassword: password, newPassword: 'valid-new-password', ...change };
    const response = await testApp.http().put('/auth/password').set('Authorization', `Bearer ${accessToken}`).send(body).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    await testApp.http().get('/protected').set('Authorization', `Bearer ${accessToken}`).expect(200);
  });

  it('answers 401 without credentials', async () => {
    await testApp.http().put('/auth/password').send({ currentPassword: 'whatever-1', newPassword: 'whatever-2' }).expect(401);
  });
});
