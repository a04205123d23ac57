import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';

let testApp: TestApp;

beforeAll(async () => {
  // Nothing listens on port 1: Redis is configured but unreachable.
  testApp = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
});
afterAll(() => testApp.close());

describe('Redis unreachable', () => {
  it('the service still starts, registers, logs in and throttles on its own', async () => {
    const { password, accessToken } = await registerAndLogin(testApp, 'no-redis');
    await testApp.http().get('/').set('Authorization', `Bearer ${accessToken}`).expect(200);
    await testApp.http().get('/protected').set('Authorization', basic('no-redis', password)).expect(200);
  });

  it('/health answers 503 and says which dependency is down', async () => {
    const response = await testApp.http().get('/health').expect(503);
    expect(response.body).toMatchObject({ status: 'error', details: { database: { status: 'up' }, redis: { status: 'down' } } });
  });
});
