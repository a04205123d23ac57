import { QueryFailedError } from 'typeorm';

/** A unique index refused the write: SQLite's SQLITE_CONSTRAINT_UNIQUE, PostgreSQL's 23505. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; errno?: number; message?: string } | undefined;
  if (driverError?.code === '23505') return true;
  return driverError?.code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed/.test(driverError.message ?? '');
}
