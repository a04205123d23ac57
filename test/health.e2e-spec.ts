import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp();
});
afterAll(() => testApp.close());

describe('GET /health', () => {
  it('answers 200 while the database answers', async () => {
    const response = await testApp.http().get('/health').expect(200);
    expect(response.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
  });

  it('answers 503 when the database does not', async () => {
    const dataSource = testApp.app.get(DataSource);
    await dataSource.destroy();
    try {
      const response = await testApp.http().get('/health').expect(503);
      expect(response.body).toMatchObject({ status: 'error', details: { database: { status: 'down' } } });
    } finally {
      await dataSource.initialize();
    }
  });
});

describe('GET /health/ready', () => {
  it('answers 200 while the instance takes traffic and the database answers', async () => {
    const response = await testApp.http().get('/health/ready').expect(200);
    expect(response.body).toMatchObject({ status: 'ok', details: { lifecycle: { status: 'up', state: 'serving' }, database: { status: 'up' } } });
  });

  it('answers 503 when the database does not', async () => {
    const dataSource = testApp.app.get(DataSource);
    await dataSource.destroy();
    try {
      const response = await testApp.http().get('/health/ready').expect(503);
      expect(response.body).toMatchObject({ status: 'error', details: { lifecycle: { status: 'up' }, database: { status: 'down' } } });
    } finally {
      await dataSource.initialize();
    }
  });
});
