import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './helpers/server.js';
import { TEST_SERVICE_ENVIRONMENT } from './helpers/test-environment.js';

/** A GET over `agent` (kept-alive connections), with the answer's status, Connection header and socket. */
function getOver(agent: Agent, url: string): Promise<{ status: number; connection: string | undefined; socket: IncomingMessage['socket'] }> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, socket: response.socket }));
    }).on('error', reject);
  });
}

/** The built service as a process: what it logs, and how it stops. */
describe('the service process', () => {
  let server: RunningServer;
  const password = 'a-secret-password';

  beforeAll(async () => {
    // bcrypt at cost 10 makes each login take long enough to be caught mid-flight by SIGTERM.
    server = await startServer({ BCRYPT_ROUNDS: '10', LOG_LEVEL: 'info', SHUTDOWN_DRAIN: '1s' });
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
    expect(server.output()).toContain('SIGTERM: not ready; serving new connections for 1 s (SHUTDOWN_DRAIN)');
  });
});

describe('the graceful stop', () => {
  it('on SIGTERM answers /health/ready 503 at once, serves new connections for SHUTDOWN_DRAIN, closes kept-alive connections after their next answer, and exits 0', async () => {
    const server = await startServer({ SHUTDOWN_DRAIN: '2s', SHUTDOWN_TIMEOUT: '5s' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await getOver(agent, `${server.baseUrl}/health/ready`);
      expect([before.status, before.connection]).toEqual([200, 'keep-alive']);

      const signalled = Date.now();
      const exited = server.stop('SIGTERM');
      await server.waitForOutput('SIGTERM: not ready');
      // The kept-alive connection: its next answer is the 503 of readiness, with Connection: close, and then it closes.
      const ready = await getOver(agent, `${server.baseUrl}/health/ready`);
      expect([ready.status, ready.connection]).toEqual([503, 'close']);
      expect(ready.socket.destroyed || (await new Promise((resolve) => ready.socket.once('close', () => resolve(true))))).toBe(true);
      // Liveness is not readiness: the process is alive and well.
      expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
      const body = (await (await fetch(`${server.baseUrl}/health/ready`)).json()) as { details: Record<string, unknown> };
      expect(body.details).toEqual({ lifecycle: { status: 'down', state: 'draining' } });
      // A new connection during the drain is still served.
      expect((await fetch(`${server.baseUrl}/unprotected`)).status).toBe(200);

      expect(await exited).toBe(0);
      const took = Date.now() - signalled;
      expect(took).toBeGreaterThanOrEqual(2000);
      expect(took).toBeLessThan(5000);
      await expect(fetch(`${server.baseUrl}/unprotected`)).rejects.toThrow();
    } finally {
      agent.destroy();
      await server.stop('SIGKILL');
    }
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

/**
 * `npm start` as a container's CMD or a process manager runs it: npm starts
 * the script through sh, and on SIGTERM ends itself; a sh that only waits for
 * `node` left the service serving, orphaned. The script `exec`s node, so the
 * service is npm's own child and gets the signal npm passes on.
 */
describe('npm start', () => {
  it('stops the service when npm gets SIGTERM', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gatehouse-npm-start-'));
    // --ignore-scripts: not the prestart build (dist/ is built before the suites run); the start script itself still runs.
    const npm = spawn('npm', ['start', '--ignore-scripts'], {
      env: { ...process.env, ...TEST_SERVICE_ENVIRONMENT, PORT: '0', LOG_LEVEL: 'info', DATABASE_URL: `sqlite:${join(folder, 'app.sqlite')}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const closed = once(npm, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      for (const started = Date.now(); !/Gatehouse listens on/.test(output); await sleep(100)) {
        if (Date.now() - started > 30_000 || npm.exitCode !== null) throw new Error(`npm start did not start the service:\n${output}`);
      }
      const servicePid = Number(/"pid":(\d+)/.exec(output)![1]);
      expect(servicePid).not.toBe(npm.pid);
      npm.kill('SIGTERM');
      await closed;
      // The service is gone too, not left serving without its parent.
      for (const started = Date.now(); isRunning(servicePid); await sleep(100)) {
        if (Date.now() - started > 10_000) throw new Error(`the service (pid ${servicePid}) still runs 10 s after npm got SIGTERM`);
      }
      expect(output).toContain('"msg":"stopped"');
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      const pid = /"pid":(\d+)/.exec(output)?.[1];
      if (pid && isRunning(Number(pid))) process.kill(Number(pid), 'SIGKILL');
    }
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
