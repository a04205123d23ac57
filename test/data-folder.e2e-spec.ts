import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from './helpers/server.js';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** What the service keeps in its data folder (SQLite, its WAL, the generated JWT secret) is its user's alone. */
describe('the data folder', () => {
  it('is created 0700, and the database, its WAL and the generated key-encryption secret 0600, whatever the umask', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'gatehouse-data-')), 'data');
    const server = await startServer({ DATABASE_URL: `sqlite:${join(folder, 'app.sqlite')}`, JWT_SECRET: '' });
    try {
      const registered = await fetch(`${server.baseUrl}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'private', password: 'behind-closed-doors' }) });
      expect(registered.status).toBe(201);
      expect(modeOf(folder)).toBe('700');
      for (const file of ['app.sqlite', 'app.sqlite-wal', 'app.sqlite-shm', 'key-encryption-secret']) expect(modeOf(join(folder, file)), file).toBe('600');
      await server.waitForOutput('successfully started');
      expect(server.output()).not.toContain('readable by other users');
    } finally {
      await server.stop();
    }
  });

  it('warns at start, in one line, when what is there is readable by others', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'gatehouse-data-')), 'data');
    mkdirSync(folder);
    chmodSync(folder, 0o755);
    writeFileSync(join(folder, 'jwt-secret'), 'a-secret-someone-left-world-readable-32+', { mode: 0o644 });
    chmodSync(join(folder, 'jwt-secret'), 0o644);
    const server = await startServer({ DATABASE_URL: `sqlite:${join(folder, 'app.sqlite')}`, JWT_SECRET: '' });
    try {
      await server.waitForOutput('successfully started');
      const lines = server.output().split('\n').filter((line) => line.includes('readable by other users'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]).msg).toBe(`${folder} (mode 0755), ${join(folder, 'jwt-secret')} (mode 0644): readable by other users of this machine; chmod 700 the folder and 600 its files.`);
    } finally {
      await server.stop();
    }
  });
});
