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
  const { token } = linkIn(await smtp.nextMailTo(email), '/verify-email');
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
  return linkIn(await smtp.nextMailTo(email), '/reset-password').token;
}

describe('e-mail addresses and their verification, over a real SMTP server', () => {
  it('registers with an address and mails it a link and a code from MAIL_FROM; the link verifies it, once', async () => {
    const registered = await testApp.http().post('/auth').send({ username: 'reg-one', password: PASSWORD, email: 'Reg.One@Example.test' }).expect(201);
    expect(registered.body).toMatchObject({ username: 'reg-one', email: 'Reg.One@Example.test', emailVerified: false });

    const mail = await smtp.nextMailTo('Reg.One@Example.test');
    expect(mail.parsed.from?.text).toBe('"Gatehouse" <no-reply@gatehouse.test>');
    expect(mail.parsed.subject).toBe('Confirm your e-mail address');
    const { link, token } = linkIn(mail, '/verify-email');
    expect(link.startsWith(`${PUBLIC_URL}/verify-email?token=`)).toBe(true);
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
    await recovery('/auth/email/verify').send({ token: linkIn(second, '/verify-email').token }).expect(400);
    await recovery('/auth/email/verify').send({ email: 'later-two@example.test', code: codeIn(second) }).expect(400);
    expect((await testApp.http().get('/auth/me').set('Authorization', bearer).expect(200)).body).toMatchObject({ email: 'later-three@example.test', emailVerified: false });
  });

  it('refuses a malformed address, and a verification body that is neither a token nor an address and code', async () => {
    await accountWithVerifiedEmail('taken-one');
    const { accessToken } = await registerAndLogin(testApp, 'taken-three');
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

  it('resends a verification within the mail limit per account, and says why it will not; only the newest mail works', async () => {
    const { accessToken } = await registerAndLogin(testApp, 'resend-one');
    const bearer = `Bearer ${accessToken}`;
    expect((await testApp.http().post('/auth/email/resend').set('Authorization', bearer).expect(409)).body.message).toBe('The account has no e-mail address: set one with PUT /auth/email.');
    await testApp.http().put('/auth/email').set('Authorization', bearer).send({ email: 'resend-one@example.test', currentPassword: PASSWORD }).expect(204);
    const first = await smtp.nextMailTo('resend-one@example.test');
    let last = first;
    for (let mail = 2; mail <= MAILS_PER_ACCOUNT; mail++) {
      expect((await testApp.http().post('/auth/email/resend').set('Authorization', bearer).expect(202)).body).toEqual({ message: 'A new verification mail is on its way.' });
      last = await smtp.nextMailTo('resend-one@example.test');
    }
    const refused = await testApp.http().post('/auth/email/resend').set('Authorization', bearer).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.message).toMatch(/^Too many mails to this account; try again in \d+ seconds\.$/);
    // A refused resend voids nothing: the last mail sent still works, and only it.
    await recovery('/auth/email/verify').send({ token: linkIn(first, '/verify-email').token }).expect(400);
    await recovery('/auth/email/verify').send({ token: linkIn(last, '/verify-email').token }).expect(204);
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
    const { link, token } = linkIn(mail, '/reset-password');
    expect(link.startsWith(`${PUBLIC_URL}/reset-password?token=`)).toBe(true);

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
    const { token } = linkIn(await smtp.nextMailTo(email), '/reset-password');
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
    await recovery('/auth/email/verify').send({ token: linkIn(verification, '/verify-email').token }).expect(400);
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

  it('limits reset mails per address without telling the requester', async () => {
    // The verification mail of the registration counts too: every mail to the address does.
    const { username, email } = await accountWithVerifiedEmail('flooded-one');
    const before = smtp.received.filter((mail) => mail.to.includes(email)).length;
    for (let request = 1; request <= MAILS_PER_ACCOUNT + 1; request++) {
      expect((await forgot(request % 2 ? { username } : { email }).expect(202)).body).toEqual(FORGOT_ANSWER);
    }
    await mailSettled(testApp);
    expect(smtp.received.filter((mail) => mail.to.includes(email)).length - before).toBe(MAILS_PER_ACCOUNT - 1);
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

/** Issue 23, items 5–7: only the newest code, link and reset token work; addresses cannot be enumerated or squatted; every mail counts per address. */
describe('the newest code, link and reset token only', () => {
  it('refuses an older verification code and link once a newer one was mailed; the newest works', async () => {
    const { accessToken } = await registerAndLogin(testApp, 'newest-one');
    const bearer = `Bearer ${accessToken}`;
    await testApp.http().put('/auth/email').set('Authorization', bearer).send({ email: 'newest-one@example.test', currentPassword: PASSWORD }).expect(204);
    const older = await smtp.nextMailTo('newest-one@example.test');
    await testApp.http().post('/auth/email/resend').set('Authorization', bearer).expect(202);
    const newer = await smtp.nextMailTo('newest-one@example.test');
    if (codeIn(older) !== codeIn(newer)) await recovery('/auth/email/verify').send({ email: 'newest-one@example.test', code: codeIn(older) }).expect(400);
    await recovery('/auth/email/verify').send({ token: linkIn(older, '/verify-email').token }).expect(400);
    expect((await testApp.http().get('/auth/me').set('Authorization', bearer).expect(200)).body.emailVerified).toBe(false);
    await recovery('/auth/email/verify').send({ email: 'newest-one@example.test', code: codeIn(newer) }).expect(204);
  });

  it('refuses an older reset token once a newer one was mailed; the newest works', async () => {
    const { username, email } = await accountWithVerifiedEmail('newest-two');
    const older = await resetTokenFor(username, email);
    const newer = await resetTokenFor(username, email);
    await recovery('/auth/password/reset').send({ token: older, newPassword: NEW_PASSWORD }).expect(400);
    await recovery('/auth/password/reset').send({ token: newer, newPassword: NEW_PASSWORD }).expect(204);
    await mailSettled(testApp);
  });
});

describe('e-mail addresses cannot be enumerated or squatted', () => {
  /** What an answer shows: the status and the body with its ids and times blanked. */
  const shape = (answer: { status: number; body: unknown }) =>
    JSON.stringify({ status: answer.status, body: answer.body }).replace(/"(id|createdAt)":("[^"]*"|\d+)/g, '"$1":_').replace(/"username":"[^"]*"/, '"username":_').replace(/"email":"[^"]*"/, '"email":_');

  it('answers POST /auth and PUT /auth/email alike for a free address and one verified on another account; its owner is told', async () => {
    const owner = await accountWithVerifiedEmail('owner-one');
    const free = await testApp.http().post('/auth').set('X-Forwarded-For', newClient()).send({ username: 'prober-one', password: PASSWORD, email: 'free-one@example.test' });
    const taken = await testApp.http().post('/auth').set('X-Forwarded-For', newClient()).send({ username: 'prober-two', password: PASSWORD, email: 'OWNER-ONE@example.test' });
    expect(taken.status).toBe(201);
    expect(shape(taken)).toBe(shape(free));
    expect(taken.body).toMatchObject({ email: 'OWNER-ONE@example.test', emailVerified: false });
    const notice = await smtp.nextMailTo(owner.email);
    expect(notice.parsed.subject).toBe('Someone tried to use your e-mail address');
    expect(notice.parsed.text).toContain('owner-one');
    expect(notice.parsed.text).not.toMatch(/token=|^\s*\d{6}\s*$/m);

    const { accessToken } = await registerAndLogin(testApp, 'prober-three');
    const freeChange = await testApp.http().put('/auth/email').set('Authorization', `Bearer ${accessToken}`).send({ email: 'free-two@example.test', currentPassword: PASSWORD });
    const takenChange = await testApp.http().put('/auth/email').set('Authorization', `Bearer ${accessToken}`).send({ email: 'Owner-One@Example.test', currentPassword: PASSWORD });
    expect(takenChange.status).toBe(204);
    expect(shape(takenChange)).toBe(shape(freeChange));
    expect(takenChange.text).toBe(freeChange.text);
    expect((await smtp.nextMailTo(owner.email)).parsed.subject).toBe('Someone tried to use your e-mail address');
    // The owner keeps the address, verified; the prober has it unverified, for good.
    expect((await testApp.http().get('/auth/me').set('Authorization', basic(owner.username, PASSWORD)).expect(200)).body).toMatchObject({ email: owner.email, emailVerified: true });
    expect((await testApp.http().get('/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(200)).body).toMatchObject({ email: 'Owner-One@Example.test', emailVerified: false });
    await mailSettled(testApp);
  });

  it('lets the owner of an address register and verify it after someone registered it first; the squatter can never verify it', async () => {
    await testApp.http().post('/auth').set('X-Forwarded-For', newClient()).send({ username: 'squatter-one', password: PASSWORD, email: 'victim-one@example.test' }).expect(201);
    const squattersMail = await smtp.nextMailTo('victim-one@example.test');
    const victim = await testApp.http().post('/auth').set('X-Forwarded-For', newClient()).send({ username: 'victim-one', password: PASSWORD, email: 'victim-one@example.test' }).expect(201);
    expect(victim.body).toMatchObject({ email: 'victim-one@example.test', emailVerified: false });
    const victimsMail = await smtp.nextMailTo('victim-one@example.test');
    await recovery('/auth/email/verify').send({ token: linkIn(victimsMail, '/verify-email').token }).expect(204);
    expect((await testApp.http().get('/auth/me').set('Authorization', basic('victim-one', PASSWORD)).expect(200)).body.emailVerified).toBe(true);
    // The squatter's mail went to the victim's mailbox; even used, it verifies nothing now.
    const refused = await recovery('/auth/email/verify').send({ token: linkIn(squattersMail, '/verify-email').token }).expect(400);
    expect(refused.body.error).toBe('invalid_grant');
    expect((await testApp.http().get('/auth/me').set('Authorization', basic('squatter-one', PASSWORD)).expect(200)).body).toMatchObject({ email: 'victim-one@example.test', emailVerified: false });
    // A reset by the address reaches the verified owner only.
    await forgot({ email: 'victim-one@example.test' }).expect(202);
    await recovery('/auth/password/reset').send({ token: linkIn(await smtp.nextMailTo('victim-one@example.test'), '/reset-password').token, newPassword: NEW_PASSWORD }).expect(204);
    await testApp.http().post('/auth/token').type('form').send({ username: 'victim-one', password: NEW_PASSWORD }).expect(200);
    await mailSettled(testApp);
  });

  it('takes only the newest code mailed to an address, whichever account it was mailed for, so repeated registrations pile up no live codes', async () => {
    const mails = [];
    for (const username of ['piler-one', 'piler-two', 'piler-three']) {
      await testApp.http().post('/auth').set('X-Forwarded-For', newClient()).send({ username, password: PASSWORD, email: 'piled-one@example.test' }).expect(201);
      mails.push(await smtp.nextMailTo('piled-one@example.test'));
    }
    const newest = codeIn(mails[2]);
    for (const older of mails.slice(0, 2).map(codeIn).filter((code) => code !== newest)) {
      await recovery('/auth/email/verify').send({ email: 'piled-one@example.test', code: older }).expect(400);
    }
    await recovery('/auth/email/verify').send({ email: 'piled-one@example.test', code: newest }).expect(204);
    expect((await testApp.http().get('/auth/me').set('Authorization', basic('piler-three', PASSWORD)).expect(200)).body.emailVerified).toBe(true);
    // Once verified, the other accounts' links are void too.
    await recovery('/auth/email/verify').send({ token: linkIn(mails[0], '/verify-email').token }).expect(400);
  });

  it('verifies an address on one account at most when two verify it at once (20 rounds)', async () => {
    const verifier = testApp.app.get(RecoveryTokensService);
    const users = testApp.app.get(UsersService);
    for (let round = 1; round <= 20; round++) {
      const email = `raced-address-${round}@example.test`;
      const accounts = await Promise.all(
        ['a', 'b', 'c'].map(async (racer) => {
          const registered = await testApp.http().post('/auth').set('X-Forwarded-For', newClient()).send({ username: `raced-${round}-${racer}`, password: PASSWORD }).expect(201);
          return users.changeEmail(registered.body.id as number, email);
        }),
      );
      const tokens = await Promise.all(accounts.map(async (account) => (await verifier.issue(account, 'verify-email')).token));
      const answers = await Promise.all(tokens.map((token) => recovery('/auth/email/verify').send({ token })));
      expect(answers.map((answer) => answer.status).sort(), `round ${round}`).toEqual([204, 400, 400]);
      const verified = await testApp.app.get(DataSource).query(`SELECT COUNT(*) AS n FROM users WHERE email_key = '${email}' AND email_verified_at IS NOT NULL`);
      expect(Number(verified[0].n), `round ${round}`).toBe(1);
    }
  });
});

describe('the mail limit per address, whatever the route', () => {
  it('stops the register, move away, register again loop at THROTTLE_MAILS mails to the address', async () => {
    const victim = 'looped-one@example.test';
    for (let loop = 1; loop <= MAILS_PER_ACCOUNT + 2; loop++) {
      const username = `looper-${loop}`;
      const registered = await testApp.http().post('/auth').set('X-Forwarded-For', newClient()).send({ username, password: PASSWORD, email: victim });
      expect(registered.status, `loop ${loop}`).toBe(201);
      await testApp.http().put('/auth/email').set('Authorization', basic(username, PASSWORD)).send({ email: `${username}@example.test`, currentPassword: PASSWORD }).expect(204);
    }
    // A reset request by the address counts too (and answers as always).
    await forgot({ email: victim }).expect(202);
    await mailSettled(testApp);
    expect(smtp.received.filter((mail) => mail.to.includes(victim))).toHaveLength(MAILS_PER_ACCOUNT);
  });
});
