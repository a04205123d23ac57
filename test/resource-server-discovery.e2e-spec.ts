import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { describe, expect, it } from 'vitest';

/**
 * examples/resource-server started before Gatehouse answers (one compose
 * file, one boot): it says so in one line per attempt and tries again,
 * instead of dying on fetch's bare "TypeError: fetch failed".
 */
const EXAMPLE = 'examples/resource-server/dist/main.js';

function runExample(gatehouseUrl: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [EXAMPLE], {
    env: { ...process.env, GATEHOUSE_URL: gatehouseUrl, PORT: '0', DISCOVERY_RETRY_MS: '300', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** A port nothing listens on (taken, then let go). */
async function freePort(): Promise<number> {
  const server = createTcpServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('the resource-server example before Gatehouse answers', () => {
  it('tries again with one line per attempt, then stops with one line and exit code 1', async () => {
    const port = await freePort();
    const example = runExample(`http://127.0.0.1:${port}`, { DISCOVERY_ATTEMPTS: '3' });
    const [code] = (await once(example.child, 'close')) as [number];
    expect(code).toBe(1);
    expect(example.stderr()).toBe(
      [1, 2].map((attempt) => `Gatehouse at http://127.0.0.1:${port} does not answer yet (ECONNREFUSED); trying again in 0.3 s (attempt ${attempt} of 3)\n`).join('') +
        `Gatehouse at http://127.0.0.1:${port} did not answer: 3 attempts failed (ECONNREFUSED); start it, or correct GATEHOUSE_URL\n`,
    );
    expect(example.stdout()).toBe('');
  });

  it('starts once Gatehouse answers', async () => {
    const port = await freePort();
    const example = runExample(`http://127.0.0.1:${port}`, { DISCOVERY_ATTEMPTS: '50' });
    let metadataServer: Server | undefined;
    try {
      for (const started = Date.now(); !example.stderr().includes('does not answer yet'); await new Promise((resolve) => setTimeout(resolve, 50))) {
        if (Date.now() - started > 10_000) throw new Error(`no retry line:\n${example.stderr()}`);
      }
      // Stands in for Gatehouse's discovery document: the key set is fetched only when a token comes.
      const base = `http://127.0.0.1:${port}`;
      metadataServer = createServer((_request, response) =>
        response.setHeader('Content-Type', 'application/json').end(JSON.stringify({ issuer: base, jwks_uri: `${base}/.well-known/jwks.json`, introspection_endpoint: `${base}/oauth/introspect` })),
      ).listen(port, '127.0.0.1');
      for (const started = Date.now(); !example.stdout().includes('Resource server listens on'); await new Promise((resolve) => setTimeout(resolve, 50))) {
        if (Date.now() - started > 20_000 || example.child.exitCode !== null) throw new Error(`the example did not start:\n${example.stdout()}${example.stderr()}`);
      }
      expect(example.stderr()).not.toContain('TypeError');
    } finally {
      example.child.kill();
      metadataServer?.close();
    }
  });
});
