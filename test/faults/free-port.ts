import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What the suite's service processes add to their environment: Node's compile
 * cache, shared by the many starts of the suite (each start's module loading
 * is most of its start-up time, and the suite starts the service 26 times).
 */
export const FAULTS_SERVICE_ENVIRONMENT: Record<string, string> = { NODE_COMPILE_CACHE: join(tmpdir(), 'gatehouse-faults-compile-cache') };

/** A loopback port that was free a moment ago: the kernel's pick for a listener opened and closed at once. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every `everyMs` until it is true; throws `what` after `timeoutMs`: no loop of the suite waits for ever. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  for (const started = Date.now(); ; ) {
    if (await check()) return;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
