import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, expectNoLeak, type TestApp } from './helpers/app.js';

const PASSWORD = 'two-factor-password-1';
const MFA_GRANT = 'urn:gatehouse:params:oauth:grant-type:mfa-otp';
const ADMIN = { username: 'mfa-admin', password: 'two-step-keeper-secret' };

let testApp: TestApp;

beforeAll(async () => {
  // Three failures per username and address: wrong codes are throttled like passwords.
  testApp = await createTestApp({ THROTTLE_LOGIN_FAILURES: '3', ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
});
afterAll(() => testApp.close());

/** The TOTP code of `secret` at `stepsAhead` 30-second steps from now, computed as an authenticator app does. */
const codeAt = (secret: string, stepsAhead = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + stepsAhead * 30 });

async function loggedIn(username: string): Promise<string> {
  await testApp.http().post('/auth').send({ username, password: PASSWORD }).expect(201);
  return (await testApp.http().post('/auth/token').type('form').send({ username, password: PASSWORD }).expect(200)).body.access_token;
}

/** An account with two-factor on: the secret read back from the enrolment answer, confirmed with the current step's code. */
async function enrolled(username: string) {
  const token = await loggedIn(username);
  const enrolment = await testApp.http().post('/auth/mfa/totp').set('Authorization', `Bearer ${token}`).send({ password: PASSWORD }).expect(201);
  const secret: string = enrolment.body.secret;
  const confirmed = await testApp.http().post('/auth/mfa/totp/confirm').set('Authorization', `Bearer ${token}`).send({ code: await codeAt(secret) }).expect(200);
  return { token, secret, recoveryCodes: confirmed.body.recoveryCodes as string[], enrolment: enrolment.body };
}

const passwordGrant = (username: string, password = PASSWORD) => testApp.http().post('/auth/token').type('form').send({ username, password });
const mfaGrant = (fields: Record<string, string>) => testApp.http().post('/auth/token').type('form').send({ grant_type: MFA_GRANT, ...fields });
async function mfaTokenOf(username: string): Promise<string> {
  const answer = await passwordGrant(username).expect(403);
  return answer.body.mfa_token;
}

describe('enrolment', () => {
  it('needs the current password, and answers the secret, an otpauth:// URI and a QR code as a PNG data URL', async () => {
    const token = await loggedIn('enroller');
    await testApp.http().post('/auth/mfa/totp').set('Authorization', `Bearer ${token}`).send({ password: 'not-the-password' }).expect(401);
    const answer = await testApp.http().post('/auth/mfa/totp').set('Authorization', `Bearer ${token}`).send({ password: PASSWORD }).expect(201);
    expect(answer.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(answer.body.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(answer.body.otpauthUri).searchParams.get('secret')).toBe(answer.body.secret);
    expect(answer.body.qrCode).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(answer.body.qrCode.split(',')[1], 'base64').subarray(1, 4).toString()).toBe('PNG');
    // Nothing changes until a code confirms it: the password alone still logs in.
    await passwordGrant('enroller').expect(200);
  });

  it('turns on with a first code and gives ten recovery codes once; a wrong code changes nothing; a second enrolment is 409', async () => {
    const token = await loggedIn('confirmer');
    const { body } = await testApp.http().post('/auth/mfa/totp').set('Authorization', `Bearer ${token}`).send({ password: PASSWORD }).expect(201);
    const wrong = await testApp.http().post('/auth/mfa/totp/confirm').set('Authorization', `Bearer ${token}`).send({ code: '000000' }).expect(400);
    expectNoLeak(wrong.body);
    await passwordGrant('confirmer').expect(200);

    const confirmed = await testApp.http().post('/auth/mfa/totp/confirm').set('Authorization', `Bearer ${token}`).send({ code: await codeAt(body.secret) }).expect(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);
    for (const code of confirmed.body.recoveryCodes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    await testApp.http().post('/auth/mfa/totp').set('Authorization', `Bearer ${token}`).send({ password: PASSWORD }).expect(409);
  });

  it('needs authentication', async () => {
    await testApp.http().post('/auth/mfa/totp').send({ password: PASSWORD }).expect(401);
  });
});

describe('logging in with two-factor', () => {
  it('answers the password grant 403 mfa_required with an mfa_token and no tokens; the MFA grant with a code issues them', async () => {
    const { secret } = await enrolled('second-step');
    const challenge = await passwordGrant('second-step').expect(403);
    expect(challenge.body).toMatchObject({ statusCode: 403, error: 'mfa_required', mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), mfa_token_expires_in: 300 });
    expect(challenge.body.access_token).toBeUndefined();
    expect(challenge.body.refresh_token).toBeUndefined();

    // The confirmation used this step's code; the next step's is within the one step of drift allowed.
    const granted = await mfaGrant({ mfa_token: challenge.body.mfa_token, otp: await codeAt(secret, 1) }).expect(200);
    expect(granted.body).toMatchObject({ token_type: 'bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
    await testApp.http().get('/').set('Authorization', `Bearer ${granted.body.access_token}`).expect(200);
    // The refresh grant needs no second code: the session was started with one.
    await testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: granted.body.refresh_token }).expect(200);
  });

  it('refuses a replayed code, accepts a wrong one never, and spends an mfa_token once', async () => {
    const { secret } = await enrolled('replayer');
    const code = await codeAt(secret, 1);
    const first = await mfaTokenOf('replayer');
    expect((await mfaGrant({ mfa_token: first, otp: '000000' }).expect(401)).body.error).toBe('invalid_grant');
    await mfaGrant({ mfa_token: first, otp: code }).expect(200);
    // The same code again, with a new mfa_token: replay within its window.
    expect((await mfaGrant({ mfa_token: await mfaTokenOf('replayer'), otp: code }).expect(401)).body.error).toBe('invalid_grant');
    // The confirmation's code (an earlier step) is no better.
    await mfaGrant({ mfa_token: await mfaTokenOf('replayer'), otp: await codeAt(secret, 0) }).expect(401);
    // A spent mfa_token, even with a code never used.
    await mfaGrant({ mfa_token: first, otp: await codeAt(secret, -1) }).expect(401);
  });

  it('accepts a recovery code once', async () => {
    const { recoveryCodes } = await enrolled('recoverer');
    await mfaGrant({ mfa_token: await mfaTokenOf('recoverer'), recovery_code: recoveryCodes[3].toUpperCase() }).expect(200);
    await mfaGrant({ mfa_token: await mfaTokenOf('recoverer'), recovery_code: recoveryCodes[3] }).expect(401);
    await mfaGrant({ mfa_token: await mfaTokenOf('recoverer'), recovery_code: recoveryCodes[4] }).expect(200);
  });

  it('refuses an unknown mfa_token, a missing code and an mfa_token from before a password change', async () => {
    const { token, secret } = await enrolled('changer');
    await mfaGrant({ mfa_token: 'bm90LWEtcmVhbC1tZmEtdG9rZW4tYXQtYWxsLWF0LWFsbA', otp: await codeAt(secret, 1) }).expect(401);
    expect((await mfaGrant({ mfa_token: await mfaTokenOf('changer') }).expect(400)).body.error).toBe('invalid_request');
    const beforeChange = await mfaTokenOf('changer');
    await testApp.http().put('/auth/password').set('Authorization', `Bearer ${token}`).send({ currentPassword: PASSWORD, newPassword: 'two-factor-password-2' }).expect(204);
    await mfaGrant({ mfa_token: beforeChange, otp: await codeAt(secret, 1) }).expect(401);
  });

  it('throttles wrong codes per account like passwords: after 3 failures even the right code waits (429)', async () => {
    const { secret } = await enrolled('guessed');
    const mfaToken = await mfaTokenOf('guessed');
    for (const wrong of ['111111', '222222', '333333']) await mfaGrant({ mfa_token: mfaToken, otp: wrong }).expect(401);
    const blocked = await mfaGrant({ mfa_token: mfaToken, otp: await codeAt(secret, 1) }).expect(429);
    expect(blocked.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('lists the MFA grant in the discovery metadata', async () => {
    const metadata = await testApp.http().get('/.well-known/oauth-authorization-server').expect(200);
    expect(metadata.body.grant_types_supported).toEqual(expect.arrayContaining(['password', 'refresh_token', MFA_GRANT]));
  });
});

describe('HTTP Basic and two-factor', () => {
  it('refuses Basic for an account with two-factor on, saying why, also when the credentials were cached before', async () => {
    const token = await loggedIn('basic-user');
    await testApp.http().get('/protected').set('Authorization', basic('basic-user', PASSWORD)).expect(200);
    const { body } = await testApp.http().post('/auth/mfa/totp').set('Authorization', `Bearer ${token}`).send({ password: PASSWORD }).expect(201);
    await testApp.http().post('/auth/mfa/totp/confirm').set('Authorization', `Bearer ${token}`).send({ code: await codeAt(body.secret) }).expect(200);

    const refused = await testApp.http().get('/protected').set('Authorization', basic('basic-user', PASSWORD)).expect(401);
    expect(refused.body.message).toMatch(/two-factor authentication, which HTTP Basic cannot carry/);
    expect(refused.headers['www-authenticate']).toContain('Basic');
    // A wrong password is still the usual answer, telling nothing about two-factor.
    const wrong = await testApp.http().get('/protected').set('Authorization', basic('basic-user', 'wrong-password-1')).expect(401);
    expect(wrong.body.message).toBe('Invalid username or password.');
  });
});

describe('turning two-factor off', () => {
  it('needs a code or a recovery code; then the password alone logs in and Basic works again', async () => {
    const { recoveryCodes } = await enrolled('disabler');
    const mfaToken = await mfaTokenOf('disabler');
    const session = await mfaGrant({ mfa_token: mfaToken, recovery_code: recoveryCodes[0] }).expect(200);
    const bearer = `Bearer ${session.body.access_token}`;
    await testApp.http().delete('/auth/mfa/totp').set('Authorization', bearer).send({ code: '123456' }).expect(401);
    await testApp.http().delete('/auth/mfa/totp').set('Authorization', bearer).send({ code: recoveryCodes[0] }).expect(401);
    await testApp.http().delete('/auth/mfa/totp').set('Authorization', bearer).send({ code: recoveryCodes[1] }).expect(204);
    await testApp.http().delete('/auth/mfa/totp').set('Authorization', bearer).send({ code: recoveryCodes[2] }).expect(409);
    await passwordGrant('disabler').expect(200);
    await testApp.http().get('/protected').set('Authorization', basic('disabler', PASSWORD)).expect(200);
  });
});

describe('new recovery codes', () => {
  it('need a code or a recovery code; the new ones work and every old one, used or not, stops working', async () => {
    const { token, recoveryCodes } = await enrolled('regenerator');
    const bearer = `Bearer ${token}`;
    await testApp.http().post('/auth/mfa/totp/recovery-codes').set('Authorization', bearer).send({ code: '123456' }).expect(401);
    await testApp.http().post('/auth/mfa/totp/recovery-codes').set('Authorization', bearer).send({}).expect(400);
    const fresh = await testApp.http().post('/auth/mfa/totp/recovery-codes').set('Authorization', bearer).send({ code: recoveryCodes[0] }).expect(200);
    const newCodes = fresh.body.recoveryCodes as string[];
    expect(newCodes).toHaveLength(10);
    expect(newCodes.filter((code) => recoveryCodes.includes(code))).toEqual([]);
    await mfaGrant({ mfa_token: await mfaTokenOf('regenerator'), recovery_code: recoveryCodes[1] }).expect(401);
    await mfaGrant({ mfa_token: await mfaTokenOf('regenerator'), recovery_code: newCodes[0] }).expect(200);
  });

  it('are for accounts with two-factor on (409 otherwise), and need authentication', async () => {
    const token = await loggedIn('no-second-factor');
    await testApp.http().post('/auth/mfa/totp/recovery-codes').set('Authorization', `Bearer ${token}`).send({ code: '123456' }).expect(409);
    await testApp.http().post('/auth/mfa/totp/recovery-codes').send({ code: '123456' }).expect(401);
  });
});

describe('one mfa_token, two grants at once (20 rounds)', () => {
  it('issues tokens to exactly one', async () => {
    for (let round = 0; round < 20; round++) {
      const { secret, recoveryCodes } = await enrolled(`racer-${round}`);
      const mfaToken = await mfaTokenOf(`racer-${round}`);
      const answers = await Promise.all([mfaGrant({ mfa_token: mfaToken, otp: await codeAt(secret, 1) }), mfaGrant({ mfa_token: mfaToken, recovery_code: recoveryCodes[0] })]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    }
  });
});
