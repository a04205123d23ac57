import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The server the PostgreSQL suites use: POSTGRES_URL, else a postgres:// DATABASE_URL (as .ci/run
 * sets it), else this machine's local one. Each suite makes its own database there.
 */
export const POSTGRES_URL =
  process.env.POSTGRES_URL ?? (process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/postgres');

/** True in the PostgreSQL pass of the suites (`npm run test:postgres`). */
export function onPostgres(): boolean {
  return process.env.TEST_DATABASE === 'postgres';
}

/** Null when PostgreSQL answers; otherwise why the PostgreSQL suites are skipped. In CI a skip is a failure. */
export async function postgresSkipReason(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return null;
  } catch (error) {
    if (process.env.CI) throw new Error(`PostgreSQL at ${POSTGRES_URL} is required in CI: ${(error as Error).message}`);
    const reason = `skipped: PostgreSQL suites: ${POSTGRES_URL} is not reachable (${(error as Error).message})`;
    console.warn(reason);
    return reason;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs SQL as the administrating connection (database maintenance, fault injection). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TemporaryDatabase {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

/** A fresh, empty database for one suite, dropped afterwards. */
export async function createTemporaryDatabase(): Promise<TemporaryDatabase> {
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** A database that several built processes of one suite share, as restarts of one deployment do: PostgreSQL on its pass, else a new SQLite file. */
export async function createSharedDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = onPostgres() ? await createTemporaryDatabase() : null;
  return database ?? { url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'gatehouse-shared-')), 'app.sqlite')}`, drop: async () => undefined };
}
