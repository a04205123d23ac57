import type { DataSourceOptions } from 'typeorm';
import sqlite3 from 'sqlite3';
import type { DatabaseConfiguration } from '../config/configuration.js';
import { migrations } from './migrations/index.js';

/**
 * A PostgreSQL connection attempt (and a wait for a free connection of the
 * pool) gives up after this: an unreachable host costs seconds, not the
 * kernel's two minutes, at start-up and per request (then 503).
 */
const POSTGRES_CONNECT_TIMEOUT_MS = 5000;

/**
 * sqlite3 as TypeORM is given it. TypeORM calls `verbose()` on the driver it
 * loads, and sqlite3's verbose mode wraps every statement in a long-stack-trace
 * helper: an Error captured and every argument (the SQL and its parameters)
 * run through util.inspect, on every query, to decorate the stack of an error
 * that almost never comes. Under load that was half the CPU of a
 * database-bound request (bench/profile-before.md: introspection, the grants).
 * Handing TypeORM a driver whose verbose() is the plain module keeps the
 * errors (message and code, which database-errors.ts reads) and drops the
 * decoration — which also put SQL parameters (token hashes) into stacks.
 */
const SQLITE_DRIVER = { verbose: () => sqlite3 };

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
    driver: SQLITE_DRIVER,
    database: database.file,
    // WAL lets readers go on during a write; the busy timeout makes a writer wait
    // for the lock instead of failing with SQLITE_BUSY.
    enableWAL: true,
    busyTimeout: 5000,
  };
}
