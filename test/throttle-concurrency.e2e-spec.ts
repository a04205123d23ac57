import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from './helpers/app.js';

/**
 * The brute-force limits when guesses arrive all at once: an attempt is
 * counted before its hash is checked, so no more than the limit are ever
 * checked, whatever the interleaving. A 401 is a checked guess; a 429 was
 * refused unchecked.
 */
const ROUNDS = 20;
const LIMITS = { THROTTLE_LOGIN_FAILURES: '5', THROTTLE_ACCOUNT_FAILURES: '8', THROTTLE_ADDRESS_FAILURES: '100000', THROTTLE_WINDOW: '10m' };
let testApp: TestApp;

beforeAll(async () => {
  // TRUST_PROXY lets the tests speak from many client addresses through X-Forwarded-For.
  testApp = await createTestApp({ ...LIMITS, TRUST_PROXY: 'true' });
});
afterAll(() => testApp.close());

const login = (username: string, password: string, address: string) =>
  testApp.http().post('/auth/token').set('X-Forwarded-For', address).type('form').send({ username, password });
const register = (username: string) => testApp.http().post('/auth').set('X-Forwarded-For', '10.200.0.1').send({ username, password: 'right-password' }).expect(201);
const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

describe('parallel guesses', () => {
  it(`for one username from one address: at most 5 are checked, and the right password among them does not get in (${ROUNDS} rounds)`, async () => {
    const checked: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const username = `parallel-${round}`;
      await register(username);
      const statuses = (
        await Promise.all(Array.from({ length: 60 }, (_, index) => login(username, index === 30 ? 'right-password' : `wrong-password-${index}`, `10.1.${round}.1`)))
      ).map((response) => response.status);
      expect(statuses.every((status) => status === 401 || status === 429 || status === 200)).toBe(true);
      checked.push(statuses.filter((status) => status !== 429).length);
      // Either the right guess was among the five checked (then it may succeed) or it was refused unchecked.
      if (statuses[30] === 200) expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(4);
    }
    console.log(`guesses checked per round of 60 (limit 5): ${checked.join(' ')}`);
    expect(Math.max(...checked)).toBeLessThanOrEqual(5);
  });

  it(`over Basic: at most 5 are checked (${ROUNDS} rounds)`, async () => {
    const checked: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const username = `parallel-basic-${round}`;
      await register(username);
      const statuses = (
        await Promise.all(
          Array.from({ length: 40 }, (_, index) =>
            testApp.http().get('/protected').set('X-Forwarded-For', `10.2.${round}.1`).set('Authorization', basic(username, `wrong-password-${index}`)),
          ),
        )
      ).map((response) => response.status);
      expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
      checked.push(statuses.filter((status) => status === 401).length);
    }
    console.log(`Basic guesses checked per round of 40 (limit 5): ${checked.join(' ')}`);
    expect(Math.max(...checked)).toBeLessThanOrEqual(5);
  });
});

describe('the limit per account, across addresses', () => {
  it('blocks an account guessed from many addresses, but not from an address it logged in from recently', async () => {
    await register('botnet-target');
    // The owner logs in from home before the attack: that address is now known.
    await login('botnet-target', 'right-password', '10.3.0.1').expect(200);
    for (let index = 0; index < 8; index++) await login('botnet-target', 'wrong-password', `10.4.0.${index + 1}`).expect(401);
    const blocked = await login('botnet-target', 'right-password', '10.4.1.1').expect(429);
    expect(blocked.body.message).toMatch(/^Too many failed logins; try again in \d+ seconds\.$/);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Basic is the same login.
    await testApp.http().get('/protected').set('X-Forwarded-For', '10.4.1.2').set('Authorization', basic('botnet-target', 'right-password')).expect(429);
    // The owner, from home, is not locked out.
    await login('botnet-target', 'right-password', '10.3.0.1').expect(200);
  });

  it(`counts parallel guesses from many addresses: at most 8 checked (${ROUNDS} rounds)`, async () => {
    const checked: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const username = `swarm-${round}`;
      await register(username);
      const statuses = (await Promise.all(Array.from({ length: 40 }, (_, index) => login(username, 'wrong-password', `10.5.${round}.${index + 1}`)))).map(
        (response) => response.status,
      );
      expect(tally(statuses)[401] ?? 0).toBe(statuses.filter((status) => status !== 429).length);
      checked.push(statuses.filter((status) => status === 401).length);
    }
    console.log(`guesses checked per round of 40 from 40 addresses (account limit 8): ${checked.join(' ')}`);
    expect(Math.max(...checked)).toBeLessThanOrEqual(8);
  });

  it('applies to unknown usernames alike, so a 429 tells nothing about whether an account exists', async () => {
    for (let index = 0; index < 8; index++) await login('nobody-here', 'wrong-password', `10.6.0.${index + 1}`).expect(401);
    await login('nobody-here', 'wrong-password', '10.6.1.1').expect(429);
  });
});
