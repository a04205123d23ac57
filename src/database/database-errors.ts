import { CannotExecuteNotConnectedError, ConnectionIsNotSetError, QueryFailedError } from 'typeorm';

/**
 * A unique index refused the write: SQLite's SQLITE_CONSTRAINT_UNIQUE,
 * PostgreSQL's 23505. With `column`, only the index of that column (as SQLite's
 * message and PostgreSQL's detail name it), for a table with several.
 */
export function isUniqueViolation(error: unknown, column?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; errno?: number; message?: string; detail?: string } | undefined;
  const names = (text: string | undefined) => column === undefined || new RegExp(`\\b${column}\\b`).test(text ?? '');
  if (driverError?.code === '23505') return names(driverError.detail);
  return driverError?.code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed/.test(driverError.message ?? '') && names(driverError.message);
}

/** A row the write refers to is gone (deleted meanwhile): SQLite's FOREIGN KEY failure, PostgreSQL's 23503. */
export function isForeignKeyViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; message?: string } | undefined;
  if (driverError?.code === '23503') return true;
  return driverError?.code === 'SQLITE_CONSTRAINT' && /FOREIGN KEY constraint failed/.test(driverError.message ?? '');
}

/** SQLite codes of a database that cannot be written or read right now (file, disk, lock, closed handle). */
const SQLITE_UNAVAILABLE = new Set(['SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_MISUSE', 'SQLITE_NOTADB', 'SQLITE_CORRUPT']);
/** Network errors of a PostgreSQL server that cannot be reached. */
const NETWORK_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/**
 * The database is unreachable or unusable (not: the query was wrong). Such
 * errors become 503, and the service recovers by itself when the database
 * is back, since TypeORM's pool reconnects on the next query.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof CannotExecuteNotConnectedError || error instanceof ConnectionIsNotSetError) return true;
  const driverError = (error instanceof QueryFailedError ? error.driverError : error) as { code?: string; message?: string };
  const code = String(driverError?.code ?? '');
  if (SQLITE_UNAVAILABLE.has(code) || NETWORK_UNAVAILABLE.has(code)) return true;
  // PostgreSQL: class 08 connection exceptions, 57P0x shutdowns, 53xxx out of resources,
  // a database that is gone or refuses connections, and 57014: a statement cancelled by
  // statement_timeout (DATABASE_TIMEOUT), the database too slow to answer in time.
  if (/^(08|57P0|53)/.test(code) || code === '3D000' || code === '57014') return true;
  // "Query read timeout": pg's query_timeout, a server that did not answer at all.
  return /Driver not Connected|Cannot use a pool after calling end|Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not currently accepting connections|Query read timeout/i.test(
    driverError?.message ?? error.message,
  );
}
