import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { linkIn, mailSettled, startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

/**
 * POST /auth/password/forgot must not tell, by its time, whether an account
 * (with a verified address, which is then mailed over a real SMTP server)
 * matches: as test/timing.e2e-spec.ts does for logins, the two cases are
 * alternated and their medians compared, here within 10 %. Each timed request
 * follows the same untimed one, its mail delivered, so the comparison is of
 * the answers alone.
 */
const SAMPLES = 100;
let smtp: TestSmtpServer;
let testApp: TestApp;

beforeAll(async () => {
  smtp = await startSmtpServer();
  testApp = await createTestApp({
    SMTP_URL: smtp.url,
    THROTTLE_RECOVERY_REQUESTS: '100000',
    THROTTLE_RECOVERY_ACCOUNT_REQUESTS: '100000',
    THROTTLE_MAILS: '100000',
  });
  await testApp.http().post('/auth').send({ username: 'timed', password: 'correct-horse-battery', email: 'timed@example.test' }).expect(201);
  await testApp.http().post('/auth/email/verify').send({ token: linkIn(await smtp.nextMailTo('timed@example.test'), '/verify-email').token }).expect(204);
});
afterAll(async () => {
  await testApp?.close();
  await smtp?.close();
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
}

async function quiet(): Promise<void> {
  await mailSettled(testApp);
  await smtp.idle();
}

/**
 * A request's time, from the same state each time: a mailed request just
 * before it, delivered. (A mail leaves work behind it, garbage to collect and
 * sockets closing, that slows the next request a little, whatever that one is:
 * without this, the order of the cases would show in their times.)
 */
async function timedForgot(body: Record<string, string>): Promise<{ milliseconds: number; text: string }> {
  await testApp.http().post('/auth/password/forgot').send({ username: 'timed' }).expect(202);
  await quiet();
  const started = process.hrtime.bigint();
  const answer = await testApp.http().post('/auth/password/forgot').send(body).expect(202);
  return { milliseconds: Number(process.hrtime.bigint() - started) / 1e6, text: answer.text };
}

describe('password-reset request timing', () => {
  it('is the same, with the same bytes, for an account with a verified address (mailed) as for no account', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    const mailsBefore = smtp.received.length;
    for (let sample = 0; sample < SAMPLES; sample++) {
      // Known and unknown alternate, K U U K K U U K…, so drift in the machine's load hits both alike. By
      // username and by address in turn. The same names throughout: a name's first request creates its
      // throttle counter, whether or not an account has it.
      const [knownBody, unknownBody] = Math.floor(sample / 2) % 2 ? [{ email: 'timed@example.test' }, { email: 'nobody@example.test' }] : [{ username: 'timed' }, { username: 'nobody' }];
      let forKnown, forUnknown;
      if (sample % 2 === 0) {
        forKnown = await timedForgot(knownBody);
        forUnknown = await timedForgot(unknownBody);
      } else {
        forUnknown = await timedForgot(unknownBody);
        forKnown = await timedForgot(knownBody);
      }
      expect(forUnknown.text).toBe(forKnown.text);
      known.push(forKnown.milliseconds);
      unknown.push(forUnknown.milliseconds);
    }
    await quiet();
    expect(smtp.received.length - mailsBefore).toBe(SAMPLES * 3);
    const [knownMedian, unknownMedian] = [median(known), median(unknown)];
    const ratio = unknownMedian / knownMedian;
    console.log(`timing (POST /auth/password/forgot, ${SAMPLES} samples each): known median ${knownMedian.toFixed(2)} ms, unknown median ${unknownMedian.toFixed(2)} ms, ratio ${ratio.toFixed(3)}`);
    expect(ratio).toBeGreaterThan(0.9);
    expect(ratio).toBeLessThan(1.1);
  });
});
