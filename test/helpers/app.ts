import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { loadConfiguration } from '../../src/config/configuration.js';
import { createApp } from '../../src/configure-app.js';
import { createTemporaryDatabase, onPostgres } from './postgres.js';
import { TEST_SERVICE_ENVIRONMENT } from './test-environment.js';

export interface TestApp {
  app: NestFastifyApplication;
  /** A supertest agent on the app's HTTP server. */
  http: () => ReturnType<typeof request>;
  directory: string;
  close: () => Promise<void>;
}

/**
 * Boots the real app exactly as main.ts does (createApp), on a fresh SQLite
 * file in a temp folder, or a fresh PostgreSQL database with TEST_DATABASE=postgres. `env` adds or overrides environment variables for
 * this app only; bcrypt runs at its lowest cost to keep the suites quick.
 * One app per test file: passport keeps its strategies in one global registry.
 * `beforeInit` may add Fastify routes of the suite's own before the app starts.
 */
export async function createTestApp(env: Record<string, string> = {}, beforeInit?: (app: NestFastifyApplication) => void): Promise<TestApp> {
  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  // TEST_DATABASE=postgres runs the same suites on a fresh PostgreSQL database each.
  const database = onPostgres() && !env.DATABASE_URL ? await createTemporaryDatabase() : null;
  const overrides: Record<string, string> = {
    ...TEST_SERVICE_ENVIRONMENT,
    DATABASE_URL: database?.url ?? `sqlite:${join(directory, 'test.sqlite')}`,
    LOG_LEVEL: process.env.TEST_LOGS ? 'info' : 'silent',
    ...env,
  };
  // The service's own loader, over this process's environment and the suite's overrides: nothing is patched.
  const app = await createApp(loadConfiguration({ ...process.env, ...overrides }));
  beforeInit?.(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const server = app.getHttpServer();
  return {
    app,
    directory,
    http: () => request(server),
    close: async () => {
      await app.close();
      await database?.drop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Registers an account and returns it with a fresh access token. */
export async function registerAndLogin(testApp: TestApp, username: string, password = 'correct-horse-battery') {
  const registered = await testApp.http().post('/auth').send({ username, password }).expect(201);
  const token = await testApp.http().post('/auth/token').type('form').send({ username, password }).expect(200);
  return { user: registered.body as { id: number; username: string; role: string }, password, accessToken: token.body.access_token as string };
}

/** No response body may leak internals: stack frames, SQL, driver error names. */
export function expectNoLeak(body: unknown): void {
  const text = JSON.stringify(body);
  for (const marker of ['    at ', 'SQLITE', 'QueryFailedError', 'SELECT ', 'INSERT ', 'node_modules', 'password_hash']) {
    if (text.includes(marker)) throw new Error(`response body leaks "${marker}": ${text}`);
  }
}
