import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, expectNoLeak, registerAndLogin, type TestApp } from './helpers/app.js';

/** An event as GET /audit shows it. */
interface AuditEventBody {
  id: number;
  occurredAt: string;
  type: string;
  outcome: string;
  actorId: number | null;
  subjectId: number | null;
  clientAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

let testApp: TestApp;
const ROOT = { username: 'auditor', password: 'keeper-of-the-trail-1' };
let rootId: number;
let asRoot: string;
const USER_AGENT = 'audit-suite/1.0';
/** Supertest speaks from the loopback address, in IPv4 or IPv4-mapped IPv6 form. */
const LOOPBACK = expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/);

beforeAll(async () => {
  // Three failures for one username from one address, then 429: the throttle-block event.
  testApp = await createTestApp({ ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password, THROTTLE_LOGIN_FAILURES: '3' });
  const token = await testApp.http().post('/auth/token').type('form').send(ROOT).expect(200);
  asRoot = `Bearer ${token.body.access_token}`;
  rootId = (await testApp.http().get('/auth/me').set('Authorization', asRoot).expect(200)).body.id;
});
afterAll(() => testApp.close());

/** A request with its own id and this suite's user agent, so its event can be found. */
function traced() {
  const requestId = `audit-${randomUUID()}`;
  const http = testApp.http();
  const wrap = <T extends { set: (name: string, value: string) => T }>(request: T) => request.set('X-Request-Id', requestId).set('User-Agent', USER_AGENT);
  return {
    requestId,
    get: (path: string) => wrap(http.get(path)),
    post: (path: string) => wrap(http.post(path)),
    put: (path: string) => wrap(http.put(path)),
    patch: (path: string) => wrap(http.patch(path)),
    delete: (path: string) => wrap(http.delete(path)),
  };
}

const audit = (query: Record<string, string | number> = {}) => testApp.http().get('/audit').query(query).set('Authorization', asRoot);

/** Events are stored after the answer: waits until an event matching `match` is listed (at most 5 s). */
async function eventWhere(match: (event: AuditEventBody) => boolean, query: Record<string, string | number> = {}): Promise<AuditEventBody> {
  for (const started = Date.now(); ; await sleep(20)) {
    const { body } = await audit({ pageSize: 100, ...query }).expect(200);
    const found = (body.items as AuditEventBody[]).find(match);
    if (found) return found;
    if (Date.now() - started > 5000) throw new Error(`no such event within 5 s; the newest: ${JSON.stringify(body.items.slice(0, 5))}`);
  }
}
const eventOf = (requestId: string, type?: string) => eventWhere((event) => event.requestId === requestId && (!type || event.type === type));

/** What every event caused by a traced request carries. */
const fromTraced = (requestId: string) => ({ clientAddress: LOOPBACK, userAgent: USER_AGENT, requestId, occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

describe('the audit trail records', () => {
  it('the admin bootstrap and the first signing key, with no request', async () => {
    const bootstrap = await eventWhere((event) => event.type === 'admin.bootstrapped');
    expect(bootstrap).toMatchObject({ outcome: 'success', actorId: null, subjectId: rootId, clientAddress: null, requestId: null, details: { username: ROOT.username } });
    const firstKey = await eventWhere((event) => event.type === 'key.rotated' && event.details.trigger === 'no-signing-key');
    expect(firstKey).toMatchObject({ actorId: null, details: { kid: expect.any(String), algorithm: 'RS256', generation: 1 } });
  });

  it('a registration, and a registration refused because the name is taken', async () => {
    const request = traced();
    const created = await request.post('/auth').send({ username: 'audited-newcomer', password: 'newcomer-password' }).expect(201);
    expect(await eventOf(request.requestId)).toMatchObject({
      type: 'account.registered',
      outcome: 'success',
      actorId: null,
      subjectId: created.body.id,
      details: { username: 'audited-newcomer', role: 'user' },
      ...fromTraced(request.requestId),
    });
    const again = traced();
    await again.post('/auth').send({ username: 'Audited-Newcomer', password: 'another-password' }).expect(409);
    expect(await eventOf(again.requestId)).toMatchObject({ type: 'account.registered', outcome: 'failure', subjectId: null, details: { username: 'Audited-Newcomer', reason: 'username-taken' } });
  });

  it('logins that succeed and fail, with the username as sent and never the password', async () => {
    const { user, password } = await registerAndLogin(testApp, 'audited-login');
    const success = traced();
    await success.post('/auth/token').type('form').send({ username: 'AUDITED-login', password }).expect(200);
    expect(await eventOf(success.requestId)).toMatchObject({
      type: 'login',
      outcome: 'success',
      actorId: user.id,
      subjectId: user.id,
      details: { username: 'AUDITED-login', method: 'password' },
      ...fromTraced(success.requestId),
    });

    const wrongPassword = 'wrong-password-for-audit';
    const failure = traced();
    await failure.post('/auth/token').type('form').send({ username: 'audited-login', password: wrongPassword }).expect(401);
    const failed = await eventOf(failure.requestId);
    expect(failed).toMatchObject({ type: 'login', outcome: 'failure', actorId: null, subjectId: user.id, details: { username: 'audited-login', method: 'password' } });

    const unknown = traced();
    await unknown.post('/auth/token').type('form').send({ username: 'nobody-by-this-name', password: wrongPassword }).expect(401);
    expect(await eventOf(unknown.requestId)).toMatchObject({ type: 'login', outcome: 'failure', subjectId: null, details: { username: 'nobody-by-this-name' } });

    const basicFailure = traced();
    await basicFailure.get('/protected').set('Authorization', basic('audited-login', wrongPassword)).expect(401);
    expect(await eventOf(basicFailure.requestId)).toMatchObject({ type: 'login', outcome: 'failure', subjectId: user.id, details: { method: 'basic' } });

    const everything = JSON.stringify((await audit({ pageSize: 100 }).expect(200)).body);
    expect(everything).not.toContain(wrongPassword);
    expect(everything).not.toContain(password);
  });

  it('what a client sent with control characters, escaped (\\u001b), so a terminal or a CSV export of the trail is safe', async () => {
    // ESC [2J clears a terminal; CR LF forges a line; NUL ends a C string (and PostgreSQL refuses it in text).
    const username = 'evil\u001b[2J\r\nlogin ok for admin\u0000\u202e\\';
    // A header cannot carry CR, LF or NUL, but it can carry a tab and, read as Latin-1, the 8-bit CSI (U+009B) of C1.
    const userAgent = 'sly/1.0\u009b2J\tx';
    const request = traced();
    await request.post('/auth/token').set('User-Agent', userAgent).type('form').send({ username, password: 'whatever-password' }).expect(401);
    const stored = await eventOf(request.requestId);
    expect(stored).toMatchObject({
      type: 'login',
      outcome: 'failure',
      // Superagent sends the header in UTF-8 (C2 9B), which Node reads as Latin-1: Â, then U+009B.
      userAgent: expect.stringMatching(/^sly\/1\.0\u00c2?\\u009b2J\\u0009x$/),
      details: { username: 'evil\\u001b[2J\\u000d\\u000alogin ok for admin\\u0000\\u202e\\\\', method: 'password' },
    });
    expect(JSON.stringify(stored)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
  });

  it('a throttle block, with the limiter that refused', async () => {
    const request = traced();
    for (let attempt = 0; attempt < 3; attempt++) await testApp.http().post('/auth/token').type('form').send({ username: 'audited-throttled', password: 'wrong-password' }).expect(401);
    await request.post('/auth/token').type('form').send({ username: 'audited-throttled', password: 'wrong-password' }).expect(429);
    expect(await eventOf(request.requestId)).toMatchObject({
      type: 'throttle.blocked',
      outcome: 'failure',
      details: { limiter: 'username-address', username: 'audited-throttled', retryAfterSeconds: expect.any(Number) },
      ...fromTraced(request.requestId),
    });
    // The same block refusing again is not recorded again: a flood of 429s is one event.
    for (let attempt = 0; attempt < 5; attempt++) await testApp.http().post('/auth/token').type('form').send({ username: 'audited-throttled', password: 'wrong-password' }).expect(429);
    const marker = traced();
    await marker.post('/auth/token').type('form').send({ username: 'audited-after-the-flood', password: 'wrong-password' }).expect(401);
    await eventOf(marker.requestId, 'login');
    const blocks = (await audit({ type: 'throttle.blocked', pageSize: 100 }).expect(200)).body.items as AuditEventBody[];
    expect(blocks.filter((event) => event.details.username === 'audited-throttled')).toHaveLength(1);
  });

  it('a reused refresh token, with the session it revoked', async () => {
    const { user, password } = await registerAndLogin(testApp, 'audited-reuse');
    const tokens = await testApp.http().post('/auth/token').type('form').send({ username: 'audited-reuse', password }).expect(200);
    await testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }).expect(200);
    const replay = traced();
    await replay.post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }).expect(401);
    expect(await eventOf(replay.requestId)).toMatchObject({
      type: 'refresh-token.reused',
      outcome: 'failure',
      actorId: null,
      subjectId: user.id,
      details: { sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      ...fromTraced(replay.requestId),
    });
  });

  it('a logout (refresh token) and an access token revoked', async () => {
    const { user, password } = await registerAndLogin(testApp, 'audited-logout');
    const tokens = await testApp.http().post('/auth/token').type('form').send({ username: 'audited-logout', password }).expect(200);
    const logout = traced();
    await logout.post('/auth/revoke').type('form').send({ token: tokens.body.refresh_token }).expect(200);
    expect(await eventOf(logout.requestId)).toMatchObject({ type: 'token.revoked', subjectId: user.id, details: { tokenType: 'refresh_token', sessionId: expect.any(String) }, ...fromTraced(logout.requestId) });
    const revokeAccess = traced();
    await revokeAccess.post('/auth/revoke').type('form').send({ token: tokens.body.access_token, token_type_hint: 'access_token' }).expect(200);
    expect(await eventOf(revokeAccess.requestId)).toMatchObject({ type: 'token.revoked', subjectId: user.id, details: { tokenType: 'access_token', jti: expect.any(String) } });
  });

  it('a password change, by the account itself', async () => {
    const { user, password, accessToken } = await registerAndLogin(testApp, 'audited-password');
    const request = traced();
    await request.put('/auth/password').set('Authorization', `Bearer ${accessToken}`).send({ currentPassword: password, newPassword: 'a-brand-new-password' }).expect(204);
    expect(await eventOf(request.requestId, 'password.changed')).toMatchObject({ outcome: 'success', actorId: user.id, subjectId: user.id, ...fromTraced(request.requestId) });
    // Its current password was checked as a login.
    expect(await eventOf(request.requestId, 'login')).toMatchObject({ outcome: 'success', details: { method: 'current-password' } });
  });

  it('a role change and a deletion, by the admin who made them', async () => {
    const { user } = await registerAndLogin(testApp, 'audited-managed');
    const promote = traced();
    await promote.patch(`/users/${user.id}`).set('Authorization', asRoot).send({ role: 'service' }).expect(200);
    expect(await eventOf(promote.requestId)).toMatchObject({ type: 'role.changed', actorId: rootId, subjectId: user.id, details: { role: 'service' }, ...fromTraced(promote.requestId) });
    const remove = traced();
    await remove.delete(`/users/${user.id}`).set('Authorization', asRoot).expect(204);
    expect(await eventOf(remove.requestId)).toMatchObject({ type: 'account.deleted', actorId: rootId, subjectId: user.id, ...fromTraced(remove.requestId) });
  });

  it('a key rotation and a key revocation, by the admin', async () => {
    const rotate = traced();
    const key = await rotate.post('/keys/rotate').set('Authorization', asRoot).expect(201);
    expect(await eventOf(rotate.requestId)).toMatchObject({
      type: 'key.rotated',
      actorId: rootId,
      details: { kid: key.body.kid, generation: key.body.generation, algorithm: 'RS256', trigger: 'request', signsFrom: key.body.signsFrom },
      ...fromTraced(rotate.requestId),
    });
    const revoke = traced();
    await revoke.post(`/keys/${key.body.kid}/revoke`).set('Authorization', asRoot).expect(200);
    expect(await eventOf(revoke.requestId)).toMatchObject({ type: 'key.revoked', actorId: rootId, details: { kid: key.body.kid }, ...fromTraced(revoke.requestId) });
  });
});

describe('GET /audit', () => {
  it('lists newest first and pages like /users', async () => {
    const { body: first } = await audit({ page: 1, pageSize: 3 }).expect(200);
    expect(first).toMatchObject({ page: 1, pageSize: 3, total: expect.any(Number) });
    expect(first.total).toBeGreaterThan(6);
    expect(first.items).toHaveLength(3);
    const { body: second } = await audit({ page: 2, pageSize: 3 }).expect(200);
    const listed = [...first.items, ...second.items] as AuditEventBody[];
    expect(new Set(listed.map((event) => event.id)).size).toBe(6);
    const times = listed.map((event) => event.occurredAt);
    expect(times).toEqual([...times].sort().reverse());
    expectNoLeak(first);
  });

  it('filters by type, outcome and account (as actor or as subject), all together', async () => {
    const { user } = await registerAndLogin(testApp, 'audited-filters');
    await testApp.http().post('/auth/token').type('form').send({ username: 'audited-filters', password: 'not-the-password' }).expect(401);
    await eventWhere((event) => event.outcome === 'failure', { account: user.id });

    const mine = (await audit({ account: user.id, pageSize: 100 }).expect(200)).body.items as AuditEventBody[];
    expect(mine.length).toBeGreaterThanOrEqual(3);
    for (const event of mine) expect([event.actorId, event.subjectId]).toContain(user.id);
    const failedLogins = (await audit({ account: user.id, type: 'login', outcome: 'failure' }).expect(200)).body;
    expect(failedLogins.total).toBe(1);
    expect(failedLogins.items[0]).toMatchObject({ type: 'login', outcome: 'failure', subjectId: user.id });
    const successes = (await audit({ account: user.id, type: 'login', outcome: 'success' }).expect(200)).body.items as AuditEventBody[];
    expect(successes.length).toBeGreaterThanOrEqual(1);
    expect(successes.every((event) => event.outcome === 'success')).toBe(true);

    // The admin acted in other tests: as actor, with subjects other than itself.
    const byAdmin = (await audit({ account: rootId, type: 'role.changed' }).expect(200)).body.items as AuditEventBody[];
    expect(byAdmin.length).toBeGreaterThanOrEqual(1);
    expect(byAdmin.every((event) => event.actorId === rootId)).toBe(true);
  });

  it('filters by a time range', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const request = traced();
    await request.post('/auth').send({ username: 'audited-in-range', password: 'in-range-password' }).expect(201);
    const event = await eventOf(request.requestId);
    const inRange = (await audit({ from: before, to: new Date(Date.now() + 60_000).toISOString(), type: 'account.registered' }).expect(200)).body.items as AuditEventBody[];
    expect(inRange.map((item) => item.id)).toContain(event.id);
    expect(inRange.every((item) => item.occurredAt >= before)).toBe(true);
    const earlier = (await audit({ to: before, type: 'account.registered', pageSize: 100 }).expect(200)).body.items as AuditEventBody[];
    expect(earlier.map((item) => item.id)).not.toContain(event.id);
    const later = (await audit({ from: '2999-01-01' }).expect(200)).body;
    expect(later).toMatchObject({ items: [], total: 0 });
  });

  it.each([
    'type=party',
    'outcome=maybe',
    'account=0',
    'account=1e3',
    'account=0x10',
    'account=abc',
    'account=2147483648',
    'from=yesterday',
    'from=2026-11-28T10:00:00',
    'to=2026-13-01',
    'page=0',
    'pageSize=101',
    'actor=1',
  ])('answers ?%s with 400', async (query) => {
    const response = await testApp.http().get(`/audit?${query}`).set('Authorization', asRoot).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('is for admins only: 401 without credentials, 403 for a user', async () => {
    const { accessToken } = await registerAndLogin(testApp, 'audited-nosy');
    await testApp.http().get('/audit').expect(401);
    const response = await testApp.http().get('/audit').set('Authorization', `Bearer ${accessToken}`).expect(403);
    expect(response.body.message).toBe('You do not have permission to access this resource.');
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  it('does not exist', async () => {
    const response = await testApp.http().get('/metrics').expect(404);
    expect(response.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });
});

describe('the audit trail records sessions and two-factor', () => {
  const MFA_GRANT = 'urn:gatehouse:params:oauth:grant-type:mfa-otp';

  it("a session ended by its owner, and all of an account's sessions ended by an admin", async () => {
    const { user, accessToken } = await registerAndLogin(testApp, 'audited-sessions', 'sessions-passphrase');
    const [session] = (await testApp.http().get('/auth/sessions').set('Authorization', `Bearer ${accessToken}`).expect(200)).body;
    const ending = traced();
    await ending.delete(`/auth/sessions/${session.id}`).set('Authorization', `Bearer ${accessToken}`).expect(204);
    expect(await eventOf(ending.requestId, 'session.ended')).toMatchObject({ outcome: 'success', actorId: user.id, subjectId: user.id, details: { sessionId: session.id }, ...fromTraced(ending.requestId) });

    const byAdmin = traced();
    await byAdmin.delete(`/users/${user.id}/sessions`).set('Authorization', asRoot).expect(204);
    expect(await eventOf(byAdmin.requestId, 'session.ended')).toMatchObject({ actorId: rootId, subjectId: user.id, details: { keptCurrent: false }, ...fromTraced(byAdmin.requestId) });
  });

  it('two-factor turned on and off, second-factor logins that failed and succeeded, and a recovery code used', async () => {
    const password = 'second-factor-passphrase';
    const { user, accessToken } = await registerAndLogin(testApp, 'audited-mfa', password);
    const bearer = `Bearer ${accessToken}`;
    const { secret } = (await testApp.http().post('/auth/mfa/totp').set('Authorization', bearer).send({ password }).expect(201)).body;
    const enabling = traced();
    const { recoveryCodes } = (await enabling.post('/auth/mfa/totp/confirm').set('Authorization', bearer).send({ code: await generate({ secret }) }).expect(200)).body;
    expect(await eventOf(enabling.requestId, 'mfa.enabled')).toMatchObject({ actorId: user.id, subjectId: user.id, details: { factor: 'totp' }, ...fromTraced(enabling.requestId) });

    const mfaToken = (await testApp.http().post('/auth/token').type('form').send({ username: 'audited-mfa', password }).expect(403)).body.mfa_token;
    const wrong = traced();
    await wrong.post('/auth/token').type('form').send({ grant_type: MFA_GRANT, mfa_token: mfaToken, otp: '000000' }).expect(401);
    expect(await eventOf(wrong.requestId, 'login')).toMatchObject({ outcome: 'failure', actorId: null, subjectId: user.id, details: { method: 'second-factor', username: 'audited-mfa' } });

    const recovering = traced();
    await recovering.post('/auth/token').type('form').send({ grant_type: MFA_GRANT, mfa_token: mfaToken, recovery_code: recoveryCodes[0] }).expect(200);
    expect(await eventOf(recovering.requestId, 'mfa.recovery-code-used')).toMatchObject({ actorId: user.id, subjectId: user.id, ...fromTraced(recovering.requestId) });
    expect(await eventOf(recovering.requestId, 'login')).toMatchObject({ outcome: 'success', actorId: user.id, details: { method: 'second-factor', factor: 'recovery' } });

    const disabling = traced();
    await disabling.delete('/auth/mfa/totp').set('Authorization', bearer).send({ code: recoveryCodes[1] }).expect(204);
    expect(await eventOf(disabling.requestId, 'mfa.disabled')).toMatchObject({ actorId: user.id, subjectId: user.id, details: { factor: 'totp' } });
  });
});

describe('the audit trail records e-mail and password reset', () => {
  it('an address changed and its verification mailed, a wrong code, reset requests (known and unknown names) and a bad reset token', async () => {
    const password = 'mailbox-passphrase-1';
    const { user, accessToken } = await registerAndLogin(testApp, 'audited-mail', password);
    const changing = traced();
    await changing.put('/auth/email').set('Authorization', `Bearer ${accessToken}`).send({ email: 'audited-mail@example.com', currentPassword: password }).expect(204);
    expect(await eventOf(changing.requestId, 'email.changed')).toMatchObject({ actorId: user.id, subjectId: user.id, details: { email: 'audited-mail@example.com', respelled: false }, ...fromTraced(changing.requestId) });
    expect(await eventOf(changing.requestId, 'email.verification-mailed')).toMatchObject({ subjectId: user.id, details: { email: 'audited-mail@example.com' } });

    const guessing = traced();
    await guessing.post('/auth/email/verify').send({ email: 'audited-mail@example.com', code: '000000' }).expect(400);
    expect(await eventOf(guessing.requestId, 'email.verified')).toMatchObject({ outcome: 'failure', subjectId: null, details: { via: 'code' } });

    const known = traced();
    await known.post('/auth/password/forgot').send({ username: 'audited-mail' }).expect(202);
    expect(await eventOf(known.requestId, 'password.reset-requested')).toMatchObject({ subjectId: user.id, details: { identifier: 'audited-mail', mailable: false } });
    const unknown = traced();
    await unknown.post('/auth/password/forgot').send({ email: 'nobody-at-all@example.com' }).expect(202);
    expect(await eventOf(unknown.requestId, 'password.reset-requested')).toMatchObject({ subjectId: null, details: { identifier: 'nobody-at-all@example.com', mailable: false } });

    const resetting = traced();
    await resetting.post('/auth/password/reset').send({ token: 'not-a-token-that-was-ever-mailed-to-anyone', newPassword: 'another-passphrase-2' }).expect(400);
    expect(await eventOf(resetting.requestId, 'password.reset')).toMatchObject({ outcome: 'failure', subjectId: null, ...fromTraced(resetting.requestId) });
  });
});
