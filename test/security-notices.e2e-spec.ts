import { EventEmitter2 } from '@nestjs/event-emitter';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raiseSecurityEvent, SecurityEvent, type SecurityEventInit } from '../src/security-events/security-event.js';
import { SecurityNoticesService } from '../src/security-notices/security-notices.service.js';
import { NoticeWindow } from '../src/security-notices/entities/notice-window.entity.js';
import { SecurityNotice } from '../src/security-notices/entities/security-notice.entity.js';
import { DataSource } from 'typeorm';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createSharedDatabase } from './helpers/postgres.js';
import { linkIn, mailSettled, startSmtpServer, type ReceivedMail, type TestSmtpServer } from './helpers/smtp-server.js';

/**
 * Security notices (README "Security notices"), through a real SMTP server:
 * each kind mailed once per event to the account's verified address (a
 * changed address: to the old one), never to an unverified one, never on the
 * very first sign-in, at most once per NOTICE_INTERVAL under a flood, and
 * delivered late rather than never when the SMTP server refuses for a while.
 */
const PASSWORD = 'correct-horse-battery';
const ADMIN = { username: 'notice-admin', password: 'admin-passphrase-for-notices' };
const ACCOUNT_FAILURES = 3;
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';

let smtp: TestSmtpServer;
let testApp: TestApp;
/** The security notices sent and given up, as the audit trail hears them. */
const audited: SecurityEvent[] = [];

beforeAll(async () => {
  smtp = await startSmtpServer();
  testApp = await createTestApp({
    SMTP_URL: smtp.url,
    TRUST_PROXY: 'true',
    THROTTLE_MAILS: '100000',
    THROTTLE_ACCOUNT_FAILURES: String(ACCOUNT_FAILURES),
    NOTICE_RETRY_BASE: '1s',
    NOTICE_RETRY_MAX: '1s',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
  });
  const events = testApp.app.get(EventEmitter2);
  for (const type of ['security-notice.sent', 'security-notice.failed']) events.on(`audit.${type}`, (event: SecurityEvent) => audited.push(event));
});
afterAll(async () => {
  await testApp?.close();
  await smtp?.close();
});

let lastClient = 0;
/** A client address no other test uses. */
const newAddress = () => `203.0.113.${++lastClient}`;

/** An account whose address was verified through the mailed link. */
async function verifiedAccount(username: string) {
  const email = `${username}@example.test`;
  const registered = await testApp.http().post('/auth').send({ username, password: PASSWORD, email }).expect(201);
  const { token } = linkIn(await smtp.nextMailTo(email), '/verify-email');
  await testApp.http().post('/auth/email/verify').send({ token }).expect(204);
  return { id: registered.body.id as number, username, email };
}

/** A password grant from this address and user agent; the access token. */
async function signIn(username: string, from: { address: string; userAgent?: string }, password = PASSWORD): Promise<string> {
  const answer = await testApp
    .http()
    .post('/auth/token')
    .set('X-Forwarded-For', from.address)
    .set('User-Agent', from.userAgent ?? BROWSER)
    .type('form')
    .send({ username, password })
    .expect(200);
  return answer.body.access_token;
}

const mailsTo = (email: string) => smtp.received.filter((mail) => mail.to.some((to) => to.toLowerCase() === email.toLowerCase()));
const subjectsTo = (email: string) => mailsTo(email).map((mail) => mail.parsed.subject);

/** Everything due is sent: then the notices to `email` with this subject number exactly one, and it is returned. */
async function theOneNotice(email: string, subject: string): Promise<ReceivedMail> {
  await mailSettled(testApp);
  const notices = mailsTo(email).filter((mail) => mail.parsed.subject === subject);
  expect(notices, `${subject} to ${email}: ${subjectsTo(email).join('; ')}`).toHaveLength(1);
  return notices[0];
}

function raise(init: SecurityEventInit): void {
  raiseSecurityEvent(testApp.app.get(EventEmitter2), init);
}

describe('a sign-in from a new device or address', () => {
  it('is not noticed on the very first sign-in, nor from a device and address seen before', async () => {
    const { username, email } = await verifiedAccount('first-timer');
    const address = newAddress();
    await signIn(username, { address });
    await signIn(username, { address });
    await mailSettled(testApp);
    expect(subjectsTo(email)).toEqual(['Confirm your e-mail address']);
  });

  it('is noticed once from a new address, saying when, from where, and with a reset link that works', async () => {
    const { username, email } = await verifiedAccount('new-address');
    await signIn(username, { address: newAddress() });
    const attacker = newAddress();
    const before = new Date();
    await signIn(username, { address: attacker });
    const mail = await theOneNotice(email, 'New sign-in to your account');
    const text = mail.parsed.text!;
    expect(text).toContain(`From: ${attacker}`);
    expect(text).toContain(`Device: ${BROWSER}`);
    const when = new Date(/When: (\S+)/.exec(text)![1]);
    expect(when.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    expect(when.getTime()).toBeLessThanOrEqual(Date.now());
    // What to do if it was not them: the link resets the password.
    const { token } = linkIn(mail, '/reset-password');
    await testApp.http().post('/auth/password/reset').send({ token, newPassword: 'violet-tangerine-kayak' }).expect(204);
    await signIn(username, { address: attacker }, 'violet-tangerine-kayak');
  });

  it('is noticed once from a new device at a known address, with its user agent HTML-escaped', async () => {
    const { username, email } = await verifiedAccount('new-device');
    const address = newAddress();
    await signIn(username, { address });
    await signIn(username, { address, userAgent: '<img src=x onerror=alert(1)> & "Evil"' });
    const mail = await theOneNotice(email, 'New sign-in to your account');
    expect(mail.parsed.text).toContain('Device: <img src=x onerror=alert(1)> & "Evil"');
    expect(mail.parsed.html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Evil&quot;');
    expect(mail.parsed.html).not.toContain('<img');
  });
});

describe('each kind of notice', () => {
  it('tells of an account lockout once, however many refusals follow', async () => {
    const { username, email } = await verifiedAccount('locked-out');
    let refused = 0;
    for (let attempt = 0; attempt < ACCOUNT_FAILURES + 5; attempt++) {
      const answer = await testApp.http().post('/auth/token').set('X-Forwarded-For', newAddress()).type('form').send({ username, password: 'wrong-password-guess' });
      if (answer.status === 429) refused++;
    }
    expect(refused).toBeGreaterThan(1);
    const mail = await theOneNotice(email, 'Sign-ins to your account were paused');
    expect(mail.parsed.text).toMatch(/From: 203\.0\.113\.\d+/);
  });

  it('tells of a password change and of a password reset', async () => {
    const { username, email } = await verifiedAccount('changer');
    const token = await signIn(username, { address: newAddress() });
    await testApp.http().put('/auth/password').set('Authorization', `Bearer ${token}`).send({ currentPassword: PASSWORD, newPassword: 'violet-tangerine-kayak' }).expect(204);
    await theOneNotice(email, 'Your password was changed');

    await testApp.http().post('/auth/password/forgot').send({ username }).expect(202);
    await mailSettled(testApp);
    const resetMail = mailsTo(email).find((mail) => mail.parsed.subject === 'Reset your password')!;
    await testApp.http().post('/auth/password/reset').send({ token: linkIn(resetMail, '/reset-password').token, newPassword: 'orange-walrus-piano' }).expect(204);
    const notice = await theOneNotice(email, 'Your password was reset');
    expect(notice.parsed.text).toContain('every login of the account was ended');
  });

  it('tells of a changed address at the old address, not the new one', async () => {
    const { username, email } = await verifiedAccount('mover');
    const token = await signIn(username, { address: newAddress() });
    const newEmail = 'mover-elsewhere@example.test';
    await testApp.http().put('/auth/email').set('Authorization', `Bearer ${token}`).send({ email: newEmail, currentPassword: PASSWORD }).expect(204);
    await theOneNotice(email, 'The e-mail address of your account was changed');
    expect(subjectsTo(newEmail)).toEqual(['Confirm your e-mail address']);
  });

  it('tells of two-factor turned on, a recovery code used, recovery codes made anew, and two-factor turned off', async () => {
    const { username, email } = await verifiedAccount('two-factor');
    const token = await signIn(username, { address: newAddress() });
    const auth = { Authorization: `Bearer ${token}` };
    const { secret } = (await testApp.http().post('/auth/mfa/totp').set(auth).send({ password: PASSWORD }).expect(201)).body;
    const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) });
    const { recoveryCodes } = (await testApp.http().post('/auth/mfa/totp/confirm').set(auth).send({ code }).expect(200)).body;
    await theOneNotice(email, 'Two-factor authentication was turned on');
    // New codes with a recovery code: the code is spent (one notice) and the codes are new (another).
    const renewed = (await testApp.http().post('/auth/mfa/totp/recovery-codes').set(auth).send({ code: recoveryCodes[0] }).expect(200)).body.recoveryCodes as string[];
    await theOneNotice(email, 'A recovery code was used');
    await theOneNotice(email, 'New recovery codes were made');
    // Off with one of the new codes: its use is within NOTICE_INTERVAL of the last one, so only the turning off is told.
    await testApp.http().delete('/auth/mfa/totp').set(auth).send({ code: renewed[0] }).expect(204);
    await theOneNotice(email, 'Two-factor authentication was turned off');
    expect(subjectsTo(email).filter((subject) => subject === 'A recovery code was used')).toHaveLength(1);
  });

  it('tells of a passkey added and removed (raised as the passkeys feature raises them)', async () => {
    const { id, email } = await verifiedAccount('passkeyed');
    const request = { clientAddress: newAddress(), userAgent: BROWSER, requestId: 'r1' };
    raise({ type: 'passkey.registered', actorId: id, subjectId: id, request, details: { name: 'Laptop' } });
    raise({ type: 'passkey.deleted', actorId: id, subjectId: id, request, details: { name: 'Laptop' } });
    // A refused registration changed nothing: no notice.
    raise({ type: 'passkey.registered', outcome: 'failure', actorId: id, subjectId: id, request });
    const added = await theOneNotice(email, 'A passkey was added to your account');
    expect(added.parsed.text).toContain(`From: ${request.clientAddress}`);
    await theOneNotice(email, 'A passkey was removed from your account');
    expect(mailsTo(email)).toHaveLength(3); // and the verification mail
  });

  it('tells of every session ended by an administrator, not of the account’s own sign-out everywhere', async () => {
    const { id, username, email } = await verifiedAccount('ended');
    const token = await signIn(username, { address: newAddress() });
    await testApp.http().delete('/auth/sessions').set('Authorization', `Bearer ${token}`).expect(204);
    await mailSettled(testApp);
    expect(subjectsTo(email)).toEqual(['Confirm your e-mail address']);
    const admin = await signIn(ADMIN.username, { address: newAddress() }, ADMIN.password);
    await testApp.http().delete(`/users/${id}/sessions`).set('Authorization', `Bearer ${admin}`).expect(204);
    await theOneNotice(email, 'All sessions of your account were ended');
  });

  it('records each notice sent in the audit trail', () => {
    expect(audited.filter((event) => event.type === 'security-notice.sent').length).toBeGreaterThanOrEqual(12);
    expect(audited.find((event) => event.type === 'security-notice.sent')).toMatchObject({ subjectId: expect.any(Number), details: { kind: expect.any(String), attempt: 1 } });
  });
});

describe('what is never mailed', () => {
  it('mails nothing to an unverified address', async () => {
    const email = 'unverified-notice@example.test';
    const { body } = await testApp.http().post('/auth').send({ username: 'unverified-notice', password: PASSWORD, email }).expect(201);
    await signIn('unverified-notice', { address: newAddress() });
    const token = await signIn('unverified-notice', { address: newAddress(), userAgent: 'Another/1.0' });
    await testApp.http().put('/auth/password').set('Authorization', `Bearer ${token}`).send({ currentPassword: PASSWORD, newPassword: 'violet-tangerine-kayak' }).expect(204);
    raise({ type: 'passkey.registered', actorId: body.id, subjectId: body.id });
    await mailSettled(testApp);
    expect(subjectsTo(email)).toEqual(['Confirm your e-mail address']);
  });

  it('mails one notice of a kind per account and NOTICE_INTERVAL under a flood of 100 concurrent events (20 rounds)', async () => {
    const { id, email } = await verifiedAccount('flooded');
    const notices = testApp.app.get(SecurityNoticesService);
    const windows = testApp.app.get(DataSource).getRepository(NoticeWindow);
    const rounds = 20;
    for (let round = 0; round < rounds; round++) {
      // A new interval each round, as if NOTICE_INTERVAL had passed.
      await windows.delete({ userId: id });
      const event = () => new SecurityEvent({ type: 'passkey.registered', actorId: id, subjectId: id, request: { clientAddress: newAddress(), userAgent: BROWSER, requestId: `flood-${round}` } });
      const recorded = await Promise.all(Array.from({ length: 100 }, () => notices.record(event())));
      expect(recorded.filter(Boolean)).toHaveLength(1);
    }
    // And raised as events (heard in the background), within one interval: nothing more.
    for (let i = 0; i < 100; i++) raise({ type: 'passkey.registered', actorId: id, subjectId: id });
    await mailSettled(testApp);
    expect(mailsTo(email).filter((mail) => mail.parsed.subject === 'A passkey was added to your account')).toHaveLength(rounds);
  });
});

describe('delivery', () => {
  it('answers the request when the SMTP server refuses, and delivers the notice once it takes mail again', async () => {
    const { username, email } = await verifiedAccount('patient');
    const token = await signIn(username, { address: newAddress() });
    smtp.behaviour = 'refuse-recipient';
    try {
      const connections = smtp.connections();
      await testApp.http().put('/auth/password').set('Authorization', `Bearer ${token}`).send({ currentPassword: PASSWORD, newPassword: 'violet-tangerine-kayak' }).expect(204);
      // Tried (and refused) at least twice, a second apart.
      for (const started = Date.now(); smtp.connections() - connections < 2; await new Promise((resolve) => setTimeout(resolve, 50))) {
        if (Date.now() - started > 10_000) throw new Error('the notice was not tried twice within 10 s');
      }
      expect(subjectsTo(email)).not.toContain('Your password was changed');
    } finally {
      smtp.behaviour = 'accept';
    }
    const mail = await smtp.nextMailTo(email);
    expect(mail.parsed.subject).toBe('Your password was changed');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await theOneNotice(email, 'Your password was changed');
  });
});

describe('delivery when the SMTP server is down', () => {
  it('answers the request at once, keeps the notice through failed tries, and delivers it once when the server is back', async () => {
    const { id, username, email } = await verifiedAccount('outage');
    const token = await signIn(username, { address: newAddress() });
    const { port } = smtp;
    await smtp.close();
    try {
      const started = Date.now();
      await testApp.http().put('/auth/password').set('Authorization', `Bearer ${token}`).send({ currentPassword: PASSWORD, newPassword: 'violet-tangerine-kayak' }).expect(204);
      expect(Date.now() - started).toBeLessThan(2_000);
      // The outbox row is tried (connection refused) and kept for another try.
      const outbox = testApp.app.get(DataSource).getRepository(SecurityNotice);
      for (const waiting = Date.now(); ((await outbox.findOneBy({ userId: id, kind: 'password-changed' }))?.attempts ?? 0) < 2; await new Promise((resolve) => setTimeout(resolve, 100))) {
        if (Date.now() - waiting > 10_000) throw new Error('the notice was not tried twice within 10 s');
      }
      expect((await outbox.findOneByOrFail({ userId: id, kind: 'password-changed' })).lastError).toMatch(/^smtp-(ESOCKET|ECONNECTION)$/);
    } finally {
      smtp = await startSmtpServer(port);
    }
    expect((await smtp.nextMailTo(email)).parsed.subject).toBe('Your password was changed');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await theOneNotice(email, 'Your password was changed');
    // Delivered, then purged: the audit trail keeps it.
    expect(audited.some((event) => event.type === 'security-notice.sent' && event.subjectId === id && event.details.attempt !== 1)).toBe(true);
  });
});

/** Two instances on one database (PostgreSQL with TEST_DATABASE=postgres, else one SQLite file), each hearing half of a flood. */
describe('two instances', () => {
  it('mail one notice of a flood of 100 events split between them, once (20 rounds)', async () => {
    const database = await createSharedDatabase();
    const env = { DATABASE_URL: database.url, SMTP_URL: smtp.url, THROTTLE_MAILS: '100000' };
    // One after the other: the first runs the migrations.
    const a = await createTestApp(env);
    const b = await createTestApp(env);
    try {
      const email = 'two-instances@example.test';
      const registered = await a.http().post('/auth').send({ username: 'two-instances', password: PASSWORD, email }).expect(201);
      await b.http().post('/auth/email/verify').send({ token: linkIn(await smtp.nextMailTo(email), '/verify-email').token }).expect(204);
      const id = registered.body.id as number;
      const rounds = 20;
      for (let round = 0; round < rounds; round++) {
        await a.app.get(DataSource).getRepository(NoticeWindow).delete({ userId: id });
        const event = () => new SecurityEvent({ type: 'mfa.recovery-codes-regenerated', actorId: id, subjectId: id, request: { clientAddress: newAddress(), userAgent: BROWSER, requestId: `two-${round}` } });
        const recorded = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).app.get(SecurityNoticesService).record(event())));
        expect(recorded.filter(Boolean)).toHaveLength(1);
      }
      await Promise.all([mailSettled(a), mailSettled(b)]);
      // Both dispatchers poll the one outbox: each row is claimed and mailed by one of them.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await Promise.all([mailSettled(a), mailSettled(b)]);
      expect(mailsTo(email).filter((mail) => mail.parsed.subject === 'New recovery codes were made')).toHaveLength(rounds);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  }, 120_000);
});
