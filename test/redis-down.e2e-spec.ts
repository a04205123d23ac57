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

  it('/health answers 200 (the database decides) and reports Redis degraded; readiness stays 200', async () => {
    const response = await testApp.http().get('/health').expect(200);
    expect(response.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' }, redis: { status: 'degraded', message: expect.any(String) } } });
    await testApp.http().get('/health/ready').expect(200);
  });
});
