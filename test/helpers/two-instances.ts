import { createSharedDatabase } from './postgres.js';
import { startServer, type RunningServer } from './server.js';

/** Two built instances of Gatehouse on one database, as a deployment behind a load balancer has them. */
export interface TwoInstances {
  a: RunningServer;
  b: RunningServer;
  /** Stops both and drops their database. */
  stop(): Promise<void>;
}

/**
 * Starts two instances on one fresh database (PostgreSQL with
 * TEST_DATABASE=postgres, else one SQLite file), sharing the key-encryption
 * secret, so replays and races can be sent to both. One after the other: the
 * first runs the migrations.
 */
export async function startTwoInstances(env: Record<string, string>): Promise<TwoInstances> {
  const database = await createSharedDatabase();
  const shared = { DATABASE_URL: database.url, KEY_ENCRYPTION_SECRET: 'a-secret-both-instances-share-32-bytes+', KEY_PUBLISH_AHEAD: '0', ...env };
  const a = await startServer(shared);
  const b = await startServer(shared);
  return {
    a,
    b,
    async stop() {
      await Promise.all([a.stop(), b.stop()]);
      await database.drop();
    },
  };
}
