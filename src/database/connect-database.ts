import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { StartupError } from '../config/configuration.js';
import { isDatabaseUnavailable } from './database-errors.js';

/** At start-up an unreachable database is tried this many times in all, this far apart; then start-up stops with one line. */
export const CONNECT_ATTEMPTS = 4;
export const CONNECT_RETRY_DELAY_SECONDS = 2;

/** PostgreSQL's "invalid password" and "no pg_hba.conf entry": no retry mends them. */
const LOGIN_REFUSED = new Set(['28P01', '28000']);

/**
 * PostgreSQL's invalid_catalog_name: the server answered, and has no database
 * of that name. Waiting does not create it (it is "unavailable" at run time,
 * when a database is dropped under a running service, but not at start-up).
 */
const NO_SUCH_DATABASE = '3D000';

/** The database's name in a postgres:// URL, for the message. */
function databaseName(options: DataSourceOptions): string {
  try {
    return decodeURIComponent(new URL((options as { url?: string }).url ?? '').pathname.slice(1)) || 'postgres';
  } catch {
    return 'named in DATABASE_URL';
  }
}

/** Where the database is, for a message: host, port and name, never the password. */
function describeDatabase(options: DataSourceOptions): string {
  if (options.type !== 'postgres') return `SQLite at ${String(options.database)}`;
  try {
    const url = new URL(options.url!);
    return `PostgreSQL at ${url.hostname || 'localhost'}:${url.port || 5432}${url.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** The driver's own words: its message, or its code when it has none (several addresses refused at once). */
function reasonOf(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  return message || code || String(error);
}

/**
 * SQLite: a write answered 2xx is on disk. WAL (set by TypeORM's enableWAL)
 * with synchronous = FULL syncs the log at every commit, so a commit survives
 * a killed process and a power loss alike; NORMAL would survive the first
 * only (the log is synced at checkpoints), and a revocation or a password
 * change lost to a power cut is not acceptable for an auth service. FULL is
 * also SQLite's compiled default; it is set here so that no build's default
 * decides. TypeORM's SQLite driver holds one connection, so the pragma holds
 * for every query.
 */
async function makeCommitsDurable(dataSource: DataSource): Promise<void> {
  await dataSource.query('PRAGMA synchronous = FULL');
}

/**
 * Opens the database for the service and the command-line tools. A database
 * that cannot be reached (down, refusing, unknown host, a connection that times
 * out) is tried again a few times, since it may be starting beside the service;
 * then, or at once for a refused login or a database that does not exist, start-up stops with one line that says
 * what was tried. Other errors pass through as they are.
 */
export async function connectDatabase(options: DataSourceOptions, attempts = CONNECT_ATTEMPTS, delaySeconds = CONNECT_RETRY_DELAY_SECONDS): Promise<DataSource> {
  for (let attempt = 1; ; attempt++) {
    try {
      const dataSource = await new DataSource(options).initialize();
      if (options.type === 'sqlite') await makeCommitsDurable(dataSource);
      return dataSource;
    } catch (error) {
      const where = describeDatabase(options);
      if (LOGIN_REFUSED.has(String((error as { code?: unknown }).code))) {
        throw new StartupError(`${where} refused the login (${reasonOf(error)}): correct the user or password in DATABASE_URL`);
      }
      if ((error as { code?: unknown }).code === NO_SUCH_DATABASE) {
        const name = databaseName(options);
        throw new StartupError(`${where} answered, and has no database ${name}: create it (createdb ${name}), or correct the database name in DATABASE_URL`);
      }
      if (!isDatabaseUnavailable(error)) throw error;
      if (attempt >= attempts) {
        throw new StartupError(
          `${where} did not answer: ${attempts} attempts, ${delaySeconds} s apart, failed (${reasonOf(error)}); start the database, or correct DATABASE_URL`,
        );
      }
      await sleep(delaySeconds * 1000);
    }
  }
}
