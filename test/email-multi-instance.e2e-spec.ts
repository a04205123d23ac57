import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, redisSkipReason } from './helpers/redis.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

const MAILS_PER_ADDRESS = 3;
const PASSWORD = 'correct-horse-battery';

/**
 * The mail limit per address holds across instances: two built instances
 * sharing one Redis (each with a database of its own, which the limit does
 * not need) mail one address no more than THROTTLE_MAILS times, however
 * registrations with it are spread over them.
 */
describe.skipIf(await redisSkipReason())('the mail limit per address across instances', () => {
  let smtp: TestSmtpServer;
  let servers: RunningServer[] = [];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    const env = { SMTP_URL: smtp.url, REDIS_URL, REDIS_KEY_PREFIX: `gatehouse-test-${randomBytes(4).toString('hex')}:`, THROTTLE_MAILS: String(MAILS_PER_ADDRESS), MAIL_RETRY_DELAY: '0' };
    servers = await Promise.all([startServer(env), startServer(env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await smtp?.close();
  });

  it('mails an address THROTTLE_MAILS times at most, registrations alternating between the instances; every answer is 201', async () => {
    const victim = 'spread-victim@example.test';
    for (let registration = 1; registration <= MAILS_PER_ADDRESS * 2; registration++) {
      const server = servers[registration % 2];
      const answer = await fetch(`${server.baseUrl}/auth`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: `spreader-${registration}`, password: PASSWORD, email: victim }),
      });
      expect(answer.status, `registration ${registration}`).toBe(201);
    }
    for (let mail = 1; mail <= MAILS_PER_ADDRESS; mail++) await smtp.nextMailTo(victim);
    // Whatever was still under way has had its time: nothing more arrives.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await smtp.idle();
    expect(smtp.received.filter((mail) => mail.to.includes(victim))).toHaveLength(MAILS_PER_ADDRESS);
  });
});
