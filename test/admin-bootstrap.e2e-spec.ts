import { describe, expect, it } from 'vitest';
import { createSharedDatabase } from './helpers/postgres.js';
import { startServer, type RunningServer } from './helpers/server.js';

const ROOT = { username: 'root_admin', password: 'root-admin-password' };
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

const call = (server: RunningServer, method: string, path: string, authorization?: string, body?: unknown) =>
  fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { ...(authorization ? { Authorization: authorization } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

/** The one log line of the server that contains `text`, parsed. */
async function theLineSaying(server: RunningServer, text: string): Promise<unknown> {
  await server.waitForOutput(text);
  const lines = server.output().split('\n').filter((line) => line.includes(text));
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

describe('the bootstrap admin (ADMIN_USERNAME / ADMIN_PASSWORD)', () => {
  it('is created while the database has no admin, and never comes back once an admin deleted it', async () => {
    const database = await createSharedDatabase();
    const env = { DATABASE_URL: database.url, ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password, LOG_LEVEL: 'info' };
    try {
      const first = await startServer(env);
      const asRoot = basic(ROOT.username, ROOT.password);
      expect((await call(first, 'GET', '/protected-admin', asRoot)).status).toBe(200);
      // Its password leaked: another admin takes over and deletes it.
      const successor = (await (await call(first, 'POST', '/auth', undefined, { username: 'successor', password: 'next-in-line-now' })).json()) as { id: number };
      expect((await call(first, 'PATCH', `/users/${successor.id}`, asRoot, { role: 'admin' })).status).toBe(200);
      const rootId = ((await (await call(first, 'GET', '/auth/me', asRoot)).json()) as { id: number }).id;
      expect((await call(first, 'DELETE', `/users/${rootId}`, basic('successor', 'next-in-line-now'))).status).toBe(204);
      await first.stop();

      // The same environment again, as a restart would have it.
      const second = await startServer(env);
      expect((await call(second, 'GET', '/protected', asRoot)).status).toBe(401);
      expect((await call(second, 'GET', '/protected-admin', basic('successor', 'next-in-line-now'))).status).toBe(200);
      await second.stop();
    } finally {
      await database.drop();
    }
  });

  it('says at start-up, in one line, when its name is taken by an account that is not an admin', async () => {
    const database = await createSharedDatabase();
    try {
      const before = await startServer({ DATABASE_URL: database.url });
      // Someone registered the name before the operator set ADMIN_USERNAME.
      expect((await call(before, 'POST', '/auth', undefined, { username: ROOT.username, password: 'claimed-it-first' })).status).toBe(201);
      await before.stop();

      const server = await startServer({ DATABASE_URL: database.url, ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password, LOG_LEVEL: 'info' });
      expect((await call(server, 'GET', '/protected-admin', basic(ROOT.username, ROOT.password))).status).toBe(401);
      expect(await theLineSaying(server, 'is taken by an account that is not an admin')).toMatchObject({
        level: 50,
        msg: 'ADMIN_USERNAME "root_admin" is taken by an account that is not an admin, so no admin was created: set another ADMIN_USERNAME and restart, or create an admin with npm run user:create -- <username> --admin.',
      });
      await server.stop();
    } finally {
      await database.drop();
    }
  });

  it('says in one line, on a fresh database with no admin and no ADMIN_USERNAME, how to make one', async () => {
    const database = await createSharedDatabase();
    try {
      const server = await startServer({ DATABASE_URL: database.url, LOG_LEVEL: 'info' });
      const line = 'The database has no admin: set ADMIN_USERNAME and ADMIN_PASSWORD and restart, or run npm run user:create -- <username> --admin.';
      expect(await theLineSaying(server, 'The database has no admin')).toMatchObject({ level: 30, msg: line });
      await server.stop();
    } finally {
      await database.drop();
    }
  });

  it('says in one line when ADMIN_USERNAME is ignored because an admin already exists, and nothing when it names that admin', async () => {
    const database = await createSharedDatabase();
    try {
      const first = await startServer({ DATABASE_URL: database.url, ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password, LOG_LEVEL: 'info' });
      await first.stop();

      // The same admin again (a restart, or a second instance): nothing is ignored, nothing said.
      const again = await startServer({ DATABASE_URL: database.url, ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password, LOG_LEVEL: 'info' });
      expect((await call(again, 'GET', '/protected-admin', basic(ROOT.username, ROOT.password))).status).toBe(200);
      expect(again.output()).not.toContain('is ignored');
      expect(again.output()).not.toContain('The database has no admin');
      await again.stop();

      // Another name, as a newcomer following two sections with different credentials would: one warning line.
      const other = await startServer({ DATABASE_URL: database.url, ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'a-different-passphrase', LOG_LEVEL: 'info' });
      expect((await call(other, 'GET', '/protected-admin', basic('admin', 'a-different-passphrase'))).status).toBe(401);
      expect(await theLineSaying(other, 'is ignored')).toMatchObject({
        level: 40,
        msg: 'ADMIN_USERNAME "admin" is ignored: the database already has an admin, and ADMIN_USERNAME only creates the first one. Sign in as an existing admin, or create another with npm run user:create -- admin --admin.',
      });
      await other.stop();
    } finally {
      await database.drop();
    }
  });
});
