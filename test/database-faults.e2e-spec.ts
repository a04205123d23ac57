import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectNoLeak, type TestApp } from './helpers/app.js';
import { adminQuery, createTemporaryDatabase, postgresSkipReason, type TemporaryDatabase } from './helpers/postgres.js';

const UNAVAILABLE = { statusCode: 503, message: 'The database is unavailable; try again shortly.', error: 'Service Unavailable' };
const login = (testApp: TestApp) => testApp.http().post('/auth/token').type('form').send({ username: 'survivor', password: 'still-standing-tall' });

async function waitForHealth(testApp: TestApp, status: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 15_000) {
    if ((await testApp.http().get('/health')).status === status) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`/health did not answer ${status} within 15 s`);
}

describe.skipIf(await postgresSkipReason())('PostgreSQL unreachable, then back', () => {
  let database: TemporaryDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    testApp = await createTestApp({ DATABASE_URL: database.url });
    await testApp.http().post('/auth').send({ username: 'survivor', password: 'still-standing-tall' }).expect(201);
  });
  afterAll(async () => {
    await adminQuery(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await testApp?.close();
    await database?.drop();
  });

  it('answers 503 with a clear message while the database refuses connections, and recovers by itself', async () => {
    await adminQuery(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS false`);
    await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database.name}'`);

    const during = await login(testApp);
    expect(during.status).toBe(503);
    expect(during.body).toEqual(UNAVAILABLE);
    expect(during.headers['retry-after']).toBe('5');
    expectNoLeak(during.body);
    const health = await testApp.http().get('/health').expect(503);
    expect(health.body).toMatchObject({ status: 'error', details: { database: { status: 'down' } } });
    await testApp.http().post('/auth').send({ username: 'newcomer', password: 'gentle-rain-falls' }).expect(503);

    await adminQuery(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`);
    const recoveredAfter = await waitForHealth(testApp, 200);
    console.log(`database fault: 503 while PostgreSQL refused connections; /health back to 200 ${recoveredAfter} ms after it accepted them again, without a restart`);
    await login(testApp).expect(200);
  });
});

describe('database connection closed, then reopened', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
    await testApp.http().post('/auth').send({ username: 'survivor', password: 'still-standing-tall' }).expect(201);
  });
  afterAll(() => testApp.close());

  it('answers 503, not 500, while the database is closed, and works again once it is open', async () => {
    const dataSource = testApp.app.get(DataSource);
    await dataSource.destroy();
    try {
      const response = await login(testApp);
      expect(response.status).toBe(503);
      expect(response.body).toEqual(UNAVAILABLE);
      await testApp.http().get('/health').expect(503);
    } finally {
      await dataSource.initialize();
    }
    await login(testApp).expect(200);
  });
});
