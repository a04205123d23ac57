import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from './helpers/app.js';

const LIMITS = { THROTTLE_LOGIN_FAILURES: '3', THROTTLE_ADDRESS_FAILURES: '6', THROTTLE_REGISTRATIONS: '5', THROTTLE_PASSKEY_CHALLENGES: '4', THROTTLE_WINDOW: '60s' };
let testApp: TestApp;

beforeAll(async () => {
  // TRUST_PROXY lets the tests speak from several client addresses through X-Forwarded-For.
  testApp = await createTestApp({ ...LIMITS, TRUST_PROXY: 'true' });
  for (const name of ['victim', 'owner', 'steady', 'basic-user']) {
    await testApp.http().post('/auth').set('X-Forwarded-For', `10.9.9.${name.length}`).send({ username: name, password: 'right-password' }).expect(201);
  }
  console.log(`throttle thresholds under test: ${JSON.stringify(LIMITS)} (defaults: 5 per username+address, 50 per address, 20 registrations, 15m)`);
});
afterAll(() => testApp.close());

const login = (username: string, password: string, address: string) =>
  testApp.http().post('/auth/token').set('X-Forwarded-For', address).type('form').send({ username, password });

describe('brute-force defence', () => {
  it('blocks a username from one address after 3 failures, even with the right password, with 429 and Retry-After', async () => {
    for (let attempt = 0; attempt < 3; attempt++) await login('victim', 'wrong-password', '10.0.0.1').expect(401);
    const blocked = await login('victim', 'right-password', '10.0.0.1').expect(429);
    expect(blocked.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/^Too many failed logins; try again in \d+ seconds\.$/) });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('does not lock the owner out from another address', async () => {
    for (let attempt = 0; attempt < 5; attempt++) await login('owner', 'wrong-password', '10.0.0.2');
    await login('owner', 'right-password', '10.0.0.2').expect(429);
    await login('owner', 'right-password', '10.0.0.3').expect(200);
  });

  it('resets the username’s count on a success', async () => {
    // Without the reset, the 4th failure here would already be refused.
    for (let round = 0; round < 2; round++) {
      await login('steady', 'wrong-password', '10.0.0.4').expect(401);
      await login('steady', 'wrong-password', '10.0.0.4').expect(401);
      await login('steady', 'right-password', '10.0.0.4').expect(200);
    }
  });

  it('limits the passkey sign-in challenges one address may ask for (each is a stored row), not other addresses', async () => {
    const challenge = (address: string) => testApp.http().post('/auth/passkeys/authentication/options').set('X-Forwarded-For', address);
    for (let index = 0; index < 4; index++) expect((await challenge('10.0.0.20').expect(200)).body.challengeId).toEqual(expect.any(String));
    const blocked = await challenge('10.0.0.20').expect(429);
    expect(blocked.body.message).toMatch(/^Too many passkey sign-in attempts from this address; try again in \d+ seconds\.$/);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    await challenge('10.0.0.21').expect(200);
  });

  it('blocks an address that fails across many usernames', async () => {
    for (let index = 0; index < 6; index++) await login(`spray${index}`, 'wrong-password', '10.0.0.5').expect(401);
    await login('someone-else', 'wrong-password', '10.0.0.5').expect(429);
    await login('steady', 'right-password', '10.0.0.5').expect(429);
    await login('steady', 'right-password', '10.0.0.6').expect(200);
  });

  it('counts Basic authentication failures the same way', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await testApp.http().get('/protected').set('X-Forwarded-For', '10.0.0.7').set('Authorization', basic('basic-user', 'wrong-password')).expect(401);
    }
    const blocked = await testApp.http().get('/protected').set('X-Forwarded-For', '10.0.0.7').set('Authorization', basic('basic-user', 'right-password')).expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    await testApp.http().get('/protected').set('X-Forwarded-For', '10.0.0.8').set('Authorization', basic('basic-user', 'right-password')).expect(200);
  });

  it('limits registrations per address', async () => {
    for (let index = 0; index < 5; index++) {
      await testApp.http().post('/auth').set('X-Forwarded-For', '10.0.0.9').send({ username: `newcomer${index}`, password: 'gentle-rain-falls' }).expect(201);
    }
    const blocked = await testApp.http().post('/auth').set('X-Forwarded-For', '10.0.0.9').send({ username: 'newcomer5', password: 'gentle-rain-falls' }).expect(429);
    expect(blocked.body.message).toMatch(/^Too many registrations from this address; try again in \d+ seconds\.$/);
    await testApp.http().post('/auth').set('X-Forwarded-For', '10.0.0.10').send({ username: 'newcomer5', password: 'gentle-rain-falls' }).expect(201);
  });
});
