import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './helpers/server.js';

/** The built service as a process: what it logs, and how it stops. */
describe('the service process', () => {
  let server: RunningServer;
  const password = 'a-secret-password';

  beforeAll(async () => {
    // bcrypt at cost 10 makes each login take long enough to be caught mid-flight by SIGTERM.
    server = await startServer({ BCRYPT_ROUNDS: '10', LOG_LEVEL: 'info' });
    const response = await fetch(`${server.baseUrl}/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'logger', password }),
    });
    expect(response.status).toBe(201);
  });
  afterAll(() => server.stop('SIGKILL'));

  it('on SIGTERM answers every request it had accepted, then refuses new connections and exits 0', async () => {
    const burst = Array.from({ length: 20 }, () =>
      fetch(`${server.baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'logger', password }),
      }).then(
        (response) => response.status,
        (error: { cause?: { code?: string } }) => error.cause?.code ?? 'failed',
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const exited = server.stop('SIGTERM');
    const statuses = await Promise.all(burst);
    // Every request of the burst was accepted before the signal: each must have its answer.
    expect(statuses).toEqual(Array(20).fill(200));
    expect(await exited).toBe(0);
    await expect(fetch(`${server.baseUrl}/unprotected`)).rejects.toThrow();
    expect(server.output()).toContain('SIGTERM: finishing in-flight requests, then stopping');
  });
});

describe('the request log', () => {
  const password = 'a-secret-password';

  it('logs each request as one JSON line, with no password, token or Authorization header in it', async () => {
    const server = await startServer({ LOG_LEVEL: 'info' });
    expect((await fetch(`${server.baseUrl}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'logger', password }) })).status).toBe(201);
    const login = await fetch(`${server.baseUrl}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Request-Id': 'login-under-test' },
      body: new URLSearchParams({ username: 'logger', password }),
    });
    const { access_token: accessToken, refresh_token: refreshToken } = (await login.json()) as { access_token: string; refresh_token: string };
    await fetch(`${server.baseUrl}/auth/me?access_token=${accessToken}`, { headers: { Authorization: `Bearer ${accessToken}` } });
    // Lines are written in batches: all of them are out once the process has exited.
    expect(await server.stop('SIGTERM')).toBe(0);

    const records = server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    const loginRecord = records.find((record) => record.req?.id === 'login-under-test');
    expect(loginRecord).toMatchObject({ level: 30, req: { method: 'POST', path: '/auth/token' }, res: { statusCode: 200 }, msg: 'request completed' });
    const everything = server.output();
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(accessToken);
    expect(everything).not.toContain(refreshToken);
  });

  it('writes every request line before it exits on SIGTERM, though log lines are written in batches', async () => {
    const server = await startServer({ LOG_LEVEL: 'info' });
    const before = server.output().split('\n').filter((line) => line.includes('flush-probe-')).length;
    expect(before).toBe(0);
    for (let index = 0; index < 30; index++) {
      expect((await fetch(`${server.baseUrl}/unprotected`, { headers: { 'X-Request-Id': `flush-probe-${index}` } })).status).toBe(200);
    }
    // Lines are written in 4 KB batches: the last ones are still buffered here, and must be flushed on the way out.
    expect(await server.stop('SIGTERM')).toBe(0);
    const ids = server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line).req?.id);
    expect(Array.from({ length: 30 }, (_, index) => `flush-probe-${index}`).filter((id) => !ids.includes(id))).toEqual([]);
  });
});
