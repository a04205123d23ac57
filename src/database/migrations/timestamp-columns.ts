import type { TableColumnOptions, QueryRunner } from 'typeorm';

/**
 * Timestamp columns in the type and default that the running driver gives
 * `@CreateDateColumn`, so one migration creates the same schema on SQLite and
 * PostgreSQL and `migration:generate` finds nothing to change.
 */
export function timestampColumns(queryRunner: QueryRunner, names: string[]): TableColumnOptions[] {
  const types = queryRunner.connection.driver.mappedDataTypes;
  return names.map((name) => ({
    name,
    type: String(types.createDate),
    default: types.createDateDefault,
  }));
}
