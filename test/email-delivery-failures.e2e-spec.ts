import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { linkIn, mailSettled, startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

/**
 * An SMTP server that refuses, or is down: the client who asked gets its
 * normal answer at once, each message is tried MAIL_SEND_ATTEMPTS times, and
 * every failure is logged.
 */
const ATTEMPTS = 3;
const PASSWORD = 'correct-horse-battery';

let smtp: TestSmtpServer;
let testApp: TestApp;
const errors = vi.spyOn(Logger.prototype, 'error');
const warnings = vi.spyOn(Logger.prototype, 'warn');
const logged = (spy: typeof errors, pattern: RegExp) => spy.mock.calls.map(([message]) => String(message)).filter((message) => pattern.test(message));

beforeAll(async () => {
  smtp = await startSmtpServer();
  testApp = await createTestApp({ SMTP_URL: smtp.url, MAIL_SEND_ATTEMPTS: String(ATTEMPTS), MAIL_RETRY_DELAY: '0' });
});
afterAll(async () => {
  await testApp?.close();
  await smtp?.close();
});
beforeEach(() => {
  errors.mockClear();
  warnings.mockClear();
});


describe('mail delivery when the SMTP server fails', () => {
  it('delivers with the credentials of SMTP_URL (URL-encoded), and a verified address gets its reset link', async () => {
    smtp.behaviour = 'accept';
    await testApp.http().post('/auth').send({ username: 'steady', password: PASSWORD, email: 'steady@example.test' }).expect(201);
    await testApp.http().post('/auth/email/verify').send({ token: linkIn(await smtp.nextMailTo('steady@example.test'), '/verify-email').token }).expect(204);
    expect(logged(errors, /mail/)).toEqual([]);
  });

  it.each([
    ['refuses the recipient', 'refuse-recipient', /Mailbox unavailable/],
    ['refuses the login', 'refuse-login', /Invalid login|Invalid username or password/],
  ] as const)('answers as usual when the server %s, tries MAIL_SEND_ATTEMPTS times, and logs each failure', async (_case, behaviour, reason) => {
    smtp.behaviour = behaviour;
    const before = smtp.connections();
    const started = Date.now();
    const answer = await testApp.http().post('/auth/password/forgot').send({ username: 'steady' }).expect(202);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(answer.body.message).toMatch(/^If an account/);
    await mailSettled(testApp);

    expect(smtp.connections() - before).toBe(ATTEMPTS);
    expect(logged(warnings, /^the password-reset mail for user \d+: try [12] of 3 failed/)).toHaveLength(ATTEMPTS - 1);
    const [given] = logged(errors, /^the password-reset mail for user \d+ was not sent: 3 of 3 tries failed, the last with: /);
    expect(given).toMatch(reason);
    // Never a credential or a token in a log line.
    for (const line of [...logged(errors, /./), ...logged(warnings, /./)]) expect(line).not.toMatch(/p@ss|token=/);
  });

  it('answers as usual when the server is down (a closed port), and gives up after the tries', async () => {
    smtp.behaviour = 'accept';
    await smtp.close();
    const started = Date.now();
    await testApp.http().post('/auth/password/forgot').send({ email: 'steady@example.test' }).expect(202);
    const registered = await testApp.http().post('/auth').send({ username: 'while-down', password: PASSWORD, email: 'while-down@example.test' }).expect(201);
    expect(registered.body).toMatchObject({ email: 'while-down@example.test', emailVerified: false });
    expect(Date.now() - started).toBeLessThan(2000);
    await mailSettled(testApp);
    expect(logged(errors, /^the (password-reset|verify-email) mail for user \d+ was not sent: 3 of 3 tries failed, the last with: .*ECONNREFUSED/)).toHaveLength(2);
  });
});
