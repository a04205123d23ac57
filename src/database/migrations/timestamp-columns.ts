import type { QueryRunner, TableColumnOptions } from 'typeorm';

/**
 * The running driver's type for a `Date` column (SQLite `datetime`, PostgreSQL
 * `timestamp`), so one migration creates the same schema on both and
 * `migration:generate` finds nothing to change.
 */
export function timestampType(queryRunner: QueryRunner): string {
  return String(queryRunner.connection.driver.mappedDataTypes.createDate);
}

/** `@CreateDateColumn` / `@UpdateDateColumn` columns: the timestamp type, defaulting to now. */
export function timestampColumns(queryRunner: QueryRunner, names: string[]): TableColumnOptions[] {
  const defaultNow = queryRunner.connection.driver.mappedDataTypes.createDateDefault;
  return names.map((name) => ({ name, type: timestampType(queryRunner), default: defaultNow }));
}
