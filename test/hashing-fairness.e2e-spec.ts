import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

/**
 * bcrypt is the scarce resource: one address must not hold the hashing pool
 * (HASH_CONCURRENCY_PER_ADDRESS), and the queue in front of it is bounded
 * (HASH_QUEUE_LIMIT), so a flood gets 429/503 at once instead of making
 * everyone wait. A real cost (10: tens of milliseconds), so a hash is what the clock sees.
 */
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp({ BCRYPT_ROUNDS: '10', TRUST_PROXY: 'true', HASH_CONCURRENCY_PER_ADDRESS: '2', HASH_QUEUE_LIMIT: '6' });
  await testApp.http().post('/auth').set('X-Forwarded-For', '10.7.0.1').send({ username: 'patient', password: 'right-password' }).expect(201);
});
afterAll(() => testApp.close());

const login = (username: string, password: string, address: string) =>
  testApp.http().post('/auth/token').set('X-Forwarded-For', address).type('form').send({ username, password });

async function timedLogin(address: string): Promise<number> {
  const started = performance.now();
  await login('patient', 'right-password', address).expect(200);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('the hashing pool under a storm from one address', () => {
  it('lets one address hold at most 2 hashes at a time: the rest get 429 at once', async () => {
    const responses = await Promise.all(Array.from({ length: 40 }, (_, index) => login(`storm-user-${index}`, 'wrong-password', '10.8.0.1')));
    const statuses = responses.map((response) => response.status);
    const refused = responses.filter((response) => response.status === 429);
    console.log(`40 parallel logins from one address: ${statuses.filter((status) => status === 401).length} checked, ${refused.length} refused with 429`);
    // 40 requests arrive within a hash time or two: only a handful can have held a slot.
    expect(refused.length).toBeGreaterThanOrEqual(30);
    expect(refused[0].body.message).toMatch(/^Too many logins in progress from this address; try again in \d+ seconds?\.$/);
    expect(Number(refused[0].headers['retry-after'])).toBeGreaterThan(0);
  });

  it('keeps a login from another address within a few hash times during the storm', async () => {
    const alone = median([await timedLogin('10.9.0.1'), await timedLogin('10.9.0.1'), await timedLogin('10.9.0.1')]);
    const storm = Promise.all(Array.from({ length: 80 }, (_, index) => login(`storm-user-${index}`, 'wrong-password', '10.8.0.2')));
    const during = await timedLogin('10.9.0.2');
    await storm;
    console.log(`login from another address: ${alone.toFixed(0)} ms alone, ${during.toFixed(0)} ms during a storm of 80 from one address`);
    // Unbounded, the storm's 80 hashes would all be queued ahead of it: 40 hash times on two cores.
    expect(during).toBeLessThan(alone * 8);
  });

  it('bounds the queue: logins beyond it get 503 with Retry-After', async () => {
    const responses = await Promise.all(Array.from({ length: 40 }, (_, index) => login(`queued-${index}`, 'wrong-password', `10.10.0.${index + 1}`)));
    const busy = responses.filter((response) => response.status === 503);
    console.log(`40 parallel logins from 40 addresses, queue limit 6: ${busy.length} answered 503`);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0].body).toEqual({ statusCode: 503, message: 'Too many password checks are waiting; try again shortly.', error: 'Service Unavailable' });
    expect(Number(busy[0].headers['retry-after'])).toBeGreaterThan(0);
    expect(responses.every((response) => [401, 503].includes(response.status))).toBe(true);
  });
});
