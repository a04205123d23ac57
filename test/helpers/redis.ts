import { Redis } from 'ioredis';

/** The Redis the multi-instance suites use: REDIS_URL, or this machine's local one. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Null when Redis answers; otherwise why the suites that need it are skipped. In CI a skip is a failure. */
export async function redisSkipReason(): Promise<string | null> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    if (process.env.CI) throw new Error(`Redis at ${REDIS_URL} is required in CI: ${(error as Error).message}`);
    const reason = `skipped: Redis suites: ${REDIS_URL} is not reachable (${(error as Error).message})`;
    console.warn(reason);
    return reason;
  } finally {
    client.disconnect();
  }
}
