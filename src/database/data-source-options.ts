import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfiguration } from '../config/configuration.js';
import { migrations } from './migrations/index.js';

/**
 * A PostgreSQL connection attempt (and a wait for a free connection of the
 * pool) gives up after this: an unreachable host costs seconds, not the
 * kernel's two minutes, at start-up and per request (then 503).
 */
const POSTGRES_CONNECT_TIMEOUT_MS = 5000;

/**
 * The options shared by the app and the migration CLI (ormconfig.ts). The app
 * registers its entities from their modules (TypeOrmModule.forFeature with
 * autoLoadEntities); the CLI, which has no modules, names them.
 */
export function buildDataSourceOptions(database: DatabaseConfiguration, entities: DataSourceOptions['entities'] = []): DataSourceOptions {
  const common = { entities, migrations, synchronize: false, migrationsRun: false, logging: false } as const;
  if (database.type === 'postgres') {
    return { ...common, type: 'postgres', url: database.url, poolSize: database.poolSize, connectTimeoutMS: POSTGRES_CONNECT_TIMEOUT_MS };
  }
  return {
    ...common,
    type: 'sqlite',
    database: database.file,
    // WAL lets readers go on during a write; the busy timeout makes a writer wait
    // for the lock instead of failing with SQLITE_BUSY.
    enableWAL: true,
    busyTimeout: 5000,
  };
}
