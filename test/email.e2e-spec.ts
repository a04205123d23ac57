import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecoveryTokensService } from '../src/recovery/recovery-tokens.service.js';
import { UsersService } from '../src/users/users.service.js';
import { basic, createTestApp, expectNoLeak, registerAndLogin, type TestApp } from './helpers/app.js';
import { codeIn, linkIn, mailSettled, startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

const PUBLIC_URL = 'https://auth.example.test';
const MAIL_FROM = 'Gatehouse <no-reply@gatehouse.test>';
const MAILS_PER_ACCOUNT = 3;
const REQUESTS_PER_NAME = 3;
const REQUESTS_PER_CLIENT = 6;
const PASSWORD = 'correct-horse-battery';
const NEW_PASSWORD = 'violet-tangerine-kayak';
const FORGOT_ANSWER = { message: 'If an account with a verified e-mail address matches, a link to reset its password is on its way to that address.' };

let smtp: TestSmtpServer;
let testApp: TestApp;

beforeAll(async () => {
  smtp = await startSmtpServer();
  testApp = await createTestApp({
    SMTP_URL: smtp.url,
    MAIL_FROM,
    PUBLIC_URL,
    MAIL_RETRY_DELAY: '0',
    THROTTLE_MAILS: String(MAILS_PER_ACCOUNT),
    THROTTLE_RECOVERY_ACCOUNT_REQUESTS: String(REQUESTS_PER_NAME),
    THROTTLE_RECOVERY_REQUESTS: String(REQUESTS_PER_CLIENT),
    // Each test speaks from addresses of its own (X-Forwarded-For), so the limits per client address do not add up across tests.
    TRUST_PROXY: 'true',
    ADMIN_USERNAME: 'mail-admin',
    ADMIN_PASSWORD: 'admin-passphrase-for-mail',
  });
});
afterAll(async () => {
  await testApp?.close();
  await smtp?.close();
});

let lastClient = 0;
/** A client address no other test uses. */
const newClient = () => `198.51.100.${++lastClient}`;


/** An account whose address was verified through the mailed link; returns what a test needs of it. */
async function accountWithVerifiedEmail(username: string, email = `${username}@example.test`) {
  const registered = await testApp.http().post('/auth').send({ username, password: PASSWORD, email }).expect(201);
  const { token } = linkIn(await smtp.nextMailTo(email), '/auth/email/verify');
  await recovery('/auth/email/verify').send({ token }).expect(204);
  return { id: registered.body.id as number, username, email };
}

function forgot(body: Record<string, string>, client = newClient()) {
  return testApp.http().post('/auth/password/forgot').set('X-Forwarded-For', client).send(body);
}

/** A POST to a route limited per client address, from an address of its own unless one is given. */
function recovery(path: '/auth/email/verify' | '/auth/password/reset', client = newClient()) {
  return testApp.http().post(path).set('X-Forwarded-For', client);
}

async function resetTokenFor(username: string, email: string): Promise<string> {
  await forgot({ username }).expect(202);
  return linkIn(await smtp.nextMailTo(email), '/auth/password/reset').token;
}

describe('e-mail addresses and their verification, over a real SMTP server', () => {
  it('registers with an address and mails it a link and a code from MAIL_FROM; the link verifies it, once', async () => {
    const registered = await testApp.http().post('/auth').send({ username: 'reg-one', password: PASSWORD, email: 'Reg.One@Example.test' }).expect(201);
    expect(registered.body).toMatchObject({ username: 'reg-one', email: 'Reg.One@Example.test', emailVerified: false });

    const mail = await smtp.nextMailTo('Reg.One@Example.test');
    expect(mail.parsed.from?.text).toBe('"Gatehouse" <no-reply@gatehouse.test>');
    expect(mail.parsed.subject).toBe('Confirm your e-mail address');
    const { link, token } = linkIn(mail, '/auth/email/verify');
    expect(link.startsWith(`${PUBLIC_URL}/auth/email/verify?token=`)).toBe(true);
    expect(mail.parsed.html).toContain(`href="${link}"`);
    expect(mail.parsed.html).toContain(codeIn(mail));
    expect(mail.raw).toMatch(/Content-Type: multipart\/alternative/);

    await recovery('/auth/email/verify').send({ token }).expect(204);
    const me = await testApp.http().get('/auth/me').set('Authorization', basic('reg-one', PASSWORD)).expect(200);
    expect(me.body).toMatchObject({ email: 'Reg.One@Example.test', emailVerified: true });
    const again = await recovery('/auth/email/verify').send({ token }).expect(400);
    expect(again.body).toEqual({ statusCode: 400, error: 'invalid_grant', error_description: 'The verification token or code is wrong, expired or already used.', message: 'The verification token or code is wrong, expired or already used.' });
  });

  it('sets an address later with the current password; the mailed code verifies it; another address is unverified and mailed', async () => {
    const { accessToken } = await registerAndLogin(testApp, 'later-one');
    const bearer = `Bearer ${accessToken}`;
    await testApp.http().put('/auth/email').set('Authorization', bearer).send({ email: 'later-one@example.test', currentPassword: 'not-the-password' }).expect(401);
    expect(smtp.received.some((mail) => mail.to.includes('later-one@example.test'))).toBe(false);

    await testApp.http().put('/auth/email').set('Authorization', bearer).send({ email: 'later-one@example.test', currentPassword: PASSWORD }).expect(204);
    expect((await testApp.http().get('/auth/me').set('Authorization', bearer).expect(200)).body).toMatchObject({ username: 'later-one', email: 'later-one@example.test', emailVerified: false });
    const code = codeIn(await smtp.nextMailTo('later-one@example.test'));
    await recovery('/auth/email/verify').send({ email: 'LATER-ONE@example.test', code: '000000' === code ? '111111' : '000000' }).expect(400);
    await recovery('/auth/email/verify').send({ email: 'Later-One@example.test', code }).expect(204);
    expect((await testApp.http().get('/auth/me').set('Authorization', bearer).expect(200)).body.emailVerified).toBe(true);

    // The same mailbox in another case keeps its verification, and is not mailed.
    await testApp.http().put('/auth/email').set('Authorization', bearer).send({ email: 'Later-One@Example.test', currentPassword: PASSWORD }).expect(204);
    expect((await testApp.http().get('/auth/me').set('Authorization', bearer).expect(200)).body).toMatchObject({ email: 'Later-One@Example.test', emailVerified: true });

    await testApp.http().put('/auth/email').set('Authorization', bearer).send({ email: 'later-two@example.test', currentPassword: PASSWORD }).expect(204);
    expect((await testApp.http().get('/auth/me').set('Authorization', bearer).expect(200)).body).toMatchObject({ email: 'later-two@example.test', emailVerified: false });
    const second = await smtp.nextMailTo('later-two@example.test');
    // A token mailed to an address the account no longer has proves nothing.
    await testApp.http().put('/auth/email').set('Authorization', bearer).send({ email: 'later-three@example.test', currentPassword: PASSWORD }).expect(204);
    await recovery('/auth/email/verify').send({ token: linkIn(second, '/auth/email/verify').token }).expect(400);
    await recovery('/auth/email/verify').send({ email: 'later-two@example.test', code: codeIn(second) }).expect(400);
    expect((await testApp.http().get('/auth/me').set('Authorization', bearer).expect(200)).body).toMatchObject({ email: 'later-three@example.test', emailVerified: false });
  });

  it('refuses a taken address (in any case), a malformed one, and a verification body that is neither a token nor an address and code', async () => {
    await accountWithVerifiedEmail('taken-one');
    const taken = await testApp.http().post('/auth').send({ username: 'taken-two', password: PASSWORD, email: 'TAKEN-ONE@example.test' }).expect(409);
    expect(taken.body.message).toBe('This e-mail address belongs to another account.');
    const { accessToken } = await registerAndLogin(testApp, 'taken-three');
    await testApp.http().put('/auth/email').set('Authorization', `Bearer ${accessToken}`).send({ email: 'Taken-One@Example.test', currentPassword: PASSWORD }).expect(409);
    for (const email of ['no-at-sign', 'a@b', 'ａlice@example.test', 'a@example.test\nBcc: x@example.test']) {
      const refused = await testApp.http().put('/auth/email').set('Authorization', `Bearer ${accessToken}`).send({ email, currentPassword: PASSWORD }).expect(400);
      expectNoLeak(refused.body);
      expect(String(refused.body.message)).toMatch(/^email must be an e-mail address/);
    }
    await testApp.http().post('/auth').send({ username: 'taken-four', password: PASSWORD, email: 'nope' }).expect(400);
    for (const body of [{}, { email: 'taken-one@example.test' }, { code: '123456' }, { token: 'x'.repeat(43), code: '123456', email: 'taken-one@example.test' }]) {
      expect((await recovery('/auth/email/verify').send(body).expect(400)).body.message).toBe('Give either token, or email and code.');
    }
    expect((await testApp.http().get('/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(200)).body.email).toBeNull();
  });

  it('resends a verification within the mail limit per account, and says why it will not', async () => {
    const { accessToken } = await registerAndLogin(testApp, 'resend-one');
    const bearer = `Bearer ${accessToken}`;
    expect((await testApp.http().post('/auth/email/resend').set('Authorization', bearer).expect(409)).body.message).toBe('The account has no e-mail address: set one with PUT /auth/email.');
    await testApp.http().put('/auth/email').set('Authorization', bearer).send({ email: 'resend-one@example.test', currentPassword: PASSWORD }).expect(204);
    const first = await smtp.nextMailTo('resend-one@example.test');
    for (let mail = 2; mail <= MAILS_PER_ACCOUNT; mail++) {
      expect((await testApp.http().post('/auth/email/resend').set('Authorization', bearer).expect(202)).body).toEqual({ message: 'A new verification mail is on its way.' });
      await smtp.nextMailTo('resend-one@example.test');
    }
    const refused = await testApp.http().post('/auth/email/resend').set('Authorization', bearer).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.message).toMatch(/^Too many mails to this account or address; try again in \d+ seconds\.$/);
    // An earlier mail still works after a resend.
    await recovery('/auth/email/verify').send({ token: linkIn(first, '/auth/email/verify').token }).expect(204);
    expect((await testApp.http().post('/auth/email/resend').set('Authorization', bearer).expect(409)).body.message).toBe('The e-mail address is already verified.');
  });

  it('shows admins the address and whether it is verified in /users', async () => {
    const { id } = await accountWithVerifiedEmail('listed-one');
    const page = await testApp.http().get('/users?page=1&pageSize=100').set('Authorization', basic('mail-admin', 'admin-passphrase-for-mail')).expect(200);
    expect(page.body.items.find((user: { id: number }) => user.id === id)).toMatchObject({ username: 'listed-one', email: 'listed-one@example.test', emailVerified: true });
  });
});

describe('password reset by e-mail, over a real SMTP server', () => {
  it('mails a single-use link; the reset ends every session, refresh token, access token and Basic credential of the old password, and mails a notice', async () => {
    const { username, email } = await accountWithVerifiedEmail('reset-one');
    const tokens = (await testApp.http().post('/auth/token').type('form').send({ username, password: PASSWORD }).expect(200)).body;
    await testApp.http().get('/protected').set('Authorization', basic(username, PASSWORD)).expect(200);

    expect((await forgot({ username }).expect(202)).body).toEqual(FORGOT_ANSWER);
    const mail = await smtp.nextMailTo(email);
    expect(mail.parsed.subject).toBe('Reset your password');
    const { link, token } = linkIn(mail, '/auth/password/reset');
    expect(link.startsWith(`${PUBLIC_URL}/auth/password/reset?token=`)).toBe(true);

    // The policy applies, and a refusal leaves the token usable.
    const weak = await recovery('/auth/password/reset').send({ token, newPassword: 'reset-one-password' }).expect(400);
    expect(weak.body.message).toBe('newPassword must not contain the username');
    await recovery('/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }).expect(204);

    await testApp.http().post('/auth/token').type('form').send({ username, password: PASSWORD }).expect(401);
    await testApp.http().get('/protected').set('Authorization', basic(username, PASSWORD)).expect(401);
    await testApp.http().get('/').set('Authorization', `Bearer ${tokens.access_token}`).expect(401);
    expect((await testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }).expect(401)).body.error).toBe('invalid_grant');
    await testApp.http().get('/protected').set('Authorization', basic(username, NEW_PASSWORD)).expect(200);
    await testApp.http().post('/auth/token').type('form').send({ username, password: NEW_PASSWORD }).expect(200);

    const spent = await recovery('/auth/password/reset').send({ token, newPassword: 'another-fine-passphrase' }).expect(400);
    expect(spent.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'The reset token is invalid, expired or already used.' });
    const notice = await smtp.nextMailTo(email);
    expect(notice.parsed.subject).toBe('Your password was reset');
    expect(notice.parsed.text).toContain('every login of the account was ended');
  });

  it('takes the e-mail address instead of the username, in any case', async () => {
    const { email } = await accountWithVerifiedEmail('reset-two');
    await forgot({ email: email.toUpperCase() }).expect(202);
    const { token } = linkIn(await smtp.nextMailTo(email), '/auth/password/reset');
    await recovery('/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }).expect(204);
    await testApp.http().post('/auth/token').type('form').send({ username: 'reset-two', password: NEW_PASSWORD }).expect(200);
  });

  it('mails nothing for an unknown name or an unverified address, and answers exactly the same', async () => {
    await testApp.http().post('/auth').send({ username: 'unverified-one', password: PASSWORD, email: 'unverified-one@example.test' }).expect(201);
    await smtp.nextMailTo('unverified-one@example.test'); // the verification, never used
    const answers = await Promise.all([
      forgot({ username: 'unverified-one' }),
      forgot({ email: 'unverified-one@example.test' }),
      forgot({ username: 'nobody-here' }),
      forgot({ email: 'nobody-here@example.test' }),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(202);
      expect(answer.text).toBe(JSON.stringify(FORGOT_ANSWER));
    }
    await mailSettled(testApp);
    expect(smtp.received.filter((mail) => mail.to.includes('unverified-one@example.test') || mail.to.includes('nobody-here@example.test'))).toHaveLength(1);
  });

  it('voids a reset token when the password changes meanwhile, or the address does', async () => {
    const changer = await accountWithVerifiedEmail('voided-one');
    const byChange = await resetTokenFor(changer.username, changer.email);
    await testApp
      .http()
      .put('/auth/password')
      .set('Authorization', basic(changer.username, PASSWORD))
      .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
      .expect(204);
    await recovery('/auth/password/reset').send({ token: byChange, newPassword: 'another-fine-passphrase' }).expect(400);

    const mover = await accountWithVerifiedEmail('voided-two');
    const byMove = await resetTokenFor(mover.username, mover.email);
    await testApp.http().put('/auth/email').set('Authorization', basic(mover.username, PASSWORD)).send({ email: 'voided-two-new@example.test', currentPassword: PASSWORD }).expect(204);
    await recovery('/auth/password/reset').send({ token: byMove, newPassword: 'another-fine-passphrase' }).expect(400);
    await testApp.http().post('/auth/token').type('form').send({ username: mover.username, password: PASSWORD }).expect(200);
  });

  it('refuses expired tokens: 30 minutes for a reset, 24 hours for a verification', async () => {
    const { username, email } = await accountWithVerifiedEmail('expired-one');
    const token = await resetTokenFor(username, email);
    await testApp.http().put('/auth/email').set('Authorization', basic(username, PASSWORD)).send({ email: 'expired-two@example.test', currentPassword: PASSWORD }).expect(204);
    const verification = await smtp.nextMailTo('expired-two@example.test');
    const rows = await testApp.app.get(DataSource).query(`SELECT purpose, ${['created_at', 'expires_at'].join(', ')} FROM recovery_tokens WHERE user_id = (SELECT id FROM users WHERE username = '${username}') AND used_at IS NULL`);
    const lifetimes = Object.fromEntries(rows.map((row: { purpose: string; created_at: string; expires_at: string }) => [row.purpose, (new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()) / 1000]));
    expect(lifetimes['reset-password']).toBeCloseTo(30 * 60, -1);
    expect(lifetimes['verify-email']).toBeCloseTo(24 * 3600, -1);
    // Time passes: every token of the account is past its end.
    await testApp.app.get(DataSource).query(`UPDATE recovery_tokens SET expires_at = created_at WHERE user_id = (SELECT id FROM users WHERE username = '${username}')`);
    await recovery('/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }).expect(400);
    await recovery('/auth/email/verify').send({ token: linkIn(verification, '/auth/email/verify').token }).expect(400);
    await recovery('/auth/email/verify').send({ email: 'expired-two@example.test', code: codeIn(verification) }).expect(400);
  });

  it('throttles requests per name given (known or not, alike) and per client address', async () => {
    await accountWithVerifiedEmail('throttled-one');
    for (const username of ['throttled-one', 'throttled-nobody']) {
      for (let request = 1; request <= REQUESTS_PER_NAME; request++) await forgot({ username }).expect(202);
      const refused = await forgot({ username }).expect(429);
      expect(refused.body.message).toMatch(/^Too many password-reset requests; try again in \d+ seconds\.$/);
    }
    const client = newClient();
    for (let request = 1; request <= REQUESTS_PER_CLIENT; request++) await forgot({ username: `spread-${request}` }, client).expect(202);
    await forgot({ username: 'spread-last' }, client).expect(429);
    // Wrong reset tokens and codes count against the client address too.
    const guesser = newClient();
    for (let guess = 1; guess <= REQUESTS_PER_CLIENT; guess++) {
      await recovery('/auth/password/reset', guesser).send({ token: `${'g'.repeat(40)}${guess}`, newPassword: NEW_PASSWORD }).expect(400);
    }
    await recovery('/auth/email/verify', guesser).send({ email: 'throttled-one@example.test', code: '123456' }).expect(429);
    await mailSettled(testApp);
  });

  it('limits reset mails per account without telling the requester', async () => {
    // The verification mail of a registration is not counted: registrations have their own limit.
    const { username, email } = await accountWithVerifiedEmail('flooded-one');
    const before = smtp.received.filter((mail) => mail.to.includes(email)).length;
    for (let request = 1; request <= MAILS_PER_ACCOUNT + 1; request++) {
      expect((await forgot(request % 2 ? { username } : { email }).expect(202)).body).toEqual(FORGOT_ANSWER);
    }
    await mailSettled(testApp);
    expect(smtp.received.filter((mail) => mail.to.includes(email)).length - before).toBe(MAILS_PER_ACCOUNT);
  });

  it('resets once when the same token is used many times at once (20 rounds)', async () => {
    const { id } = await accountWithVerifiedEmail('raced-one');
    const users = testApp.app.get(UsersService);
    for (let round = 1; round <= 20; round++) {
      const { token } = await testApp.app.get(RecoveryTokensService).issue((await users.findFreshById(id))!, 'reset-password');
      const answers = await Promise.all(
        Array.from({ length: 4 }, (_, racer) => recovery('/auth/password/reset').send({ token, newPassword: `round-${round}-racer-${racer}-passphrase` })),
      );
      expect(answers.map((answer) => answer.status).sort(), `round ${round}`).toEqual([204, 400, 400, 400]);
      const winner = answers.findIndex((answer) => answer.status === 204);
      await testApp.http().post('/auth/token').type('form').send({ username: 'raced-one', password: `round-${round}-racer-${winner}-passphrase` }).expect(200);
    }
    await mailSettled(testApp);
  });
});
