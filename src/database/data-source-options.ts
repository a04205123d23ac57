import type { DataSourceOptions } from 'typeorm';
import sqlite3 from 'sqlite3';
import { DEFAULT_DATABASE_TIMEOUT_MS, type DatabaseConfiguration } from '../config/configuration.js';
import { migrations } from './migrations/index.js';

/**
 * A server that does not answer at all (frozen, cut off by the network) is
 * given this much beyond DATABASE_TIMEOUT: the server's own statement_timeout
 * cancels a slow statement first, cleanly; the client's timer is for the
 * server that cannot.
 */
const UNANSWERED_QUERY_MARGIN_MS = 1000;

/**
 * sqlite3 as TypeORM is given it. TypeORM calls `verbose()` on the driver it
 * loads, and sqlite3's verbose mode wraps every statement in a long-stack-trace
 * helper: an Error captured and every argument (the SQL and its parameters)
 * run through util.inspect, on every query, to decorate the stack of an error
 * that almost never comes: ≈ 65 µs of CPU per statement, 41 % of a
 * primary-key SELECT (bench/sqlite-statement-cost.mjs; docs/PERFORMANCE.md).
 * Handing TypeORM a driver whose verbose() is the plain module keeps the
 * errors (message and code, which database-errors.ts reads) and drops the
 * decoration — which also put SQL parameters (token hashes) into stacks.
 */
const SQLITE_DRIVER = { verbose: () => sqlite3 };

/**
 * The options shared by the app and the migration CLI (ormconfig.ts). The app
 * registers its entities from their modules (TypeOrmModule.forFeature with
 * autoLoadEntities); the CLI, which has no modules, names them.
 *
 * DATABASE_TIMEOUT bounds every wait on the database, so that a database down,
 * failing over or frozen costs a request a 503 (HttpErrorsFilter), never a hang:
 * on PostgreSQL a connection attempt and a wait for a free connection of the
 * pool (connectionTimeoutMillis), a statement (statement_timeout, cancelled by
 * the server, SQLSTATE 57014), an unanswered query (query_timeout, the
 * client's); on SQLite the wait for the write lock (busy_timeout). The
 * migrations are not bounded (`forMigrations`): they may rightly take longer.
 */
export function buildDataSourceOptions(database: DatabaseConfiguration, entities: DataSourceOptions['entities'] = [], { forMigrations = false } = {}): DataSourceOptions {
  const common = { entities, migrations, synchronize: false, migrationsRun: false, logging: false } as const;
  const timeoutMs = database.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
  if (database.type === 'postgres') {
    const statementTimeouts = forMigrations ? {} : { statement_timeout: timeoutMs, query_timeout: timeoutMs + UNANSWERED_QUERY_MARGIN_MS };
    return { ...common, type: 'postgres', url: database.url, poolSize: database.poolSize, connectTimeoutMS: timeoutMs, extra: statementTimeouts };
  }
  return {
    ...common,
    type: 'sqlite',
    driver: SQLITE_DRIVER,
    database: database.file,
    // WAL lets readers go on during a write; the busy timeout makes a writer wait
    // for the lock instead of failing with SQLITE_BUSY, up to DATABASE_TIMEOUT.
    enableWAL: true,
    busyTimeout: timeoutMs,
  };
}
