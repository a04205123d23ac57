import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTemporaryDatabase, onPostgres } from './helpers/postgres.js';
import { startServer } from './helpers/server.js';

/** What a 201 promised must survive `kill -9` right after it. */
describe('durability', () => {
  it('keeps every registration that answered 201 when the process is killed mid-stream', async () => {
    const database = onPostgres() ? await createTemporaryDatabase() : null;
    const env = { DATABASE_URL: database?.url ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'gatehouse-crash-')), 'app.sqlite')}` };
    const first = await startServer(env);
    const confirmed: string[] = [];
    let attempted = 0;
    let killed = false;

    const worker = async (workerId: number) => {
      for (let index = 0; !killed; index++) {
        const username = `crash-${workerId}-${index}`;
        attempted++;
        try {
          const response = await fetch(`${first.baseUrl}/auth`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ username, password: 'durable-password' }),
          });
          if (response.status === 201) confirmed.push(username);
          else if (!killed) throw new Error(`registration of ${username} answered ${response.status}`);
        } catch (error) {
          if (!killed) throw error;
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, id) => worker(id));
    while (confirmed.length < 60) await new Promise((resolve) => setTimeout(resolve, 5));
    killed = true;
    await first.stop('SIGKILL');
    await Promise.all(workers);

    const second = await startServer(env);
    try {
      const statuses = await Promise.all(
        confirmed.map(async (username) => {
          const response = await fetch(`${second.baseUrl}/auth/token`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ username, password: 'durable-password' }),
          });
          return response.status;
        }),
      );
      console.log(`crash test: ${attempted} registrations sent, ${confirmed.length} answered 201 before kill -9; after restart ${statuses.filter((status) => status === 200).length} of them log in`);
      const failed = confirmed.filter((_, index) => statuses[index] !== 200).map((username) => `${username}: ${statuses[confirmed.indexOf(username)]}`);
      expect(failed).toEqual([]);
    } finally {
      await second.stop();
      await database?.drop();
    }
  });
});
