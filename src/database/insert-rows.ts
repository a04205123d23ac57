import type { ObjectLiteral, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';

/**
 * INSERTs rows and reads nothing back. Repository.insert() follows an INSERT
 * on SQLite with a SELECT of the generated columns (`created_at`, ids) to
 * copy them into the objects passed in (a RETURNING clause on PostgreSQL):
 * a second statement on every write of the hot paths (a refresh, a code, an
 * audit batch), for values these callers never read (docs/PERFORMANCE.md).
 * Errors are the driver's, as with insert(): unique and foreign-key
 * violations are told apart by database-errors.ts as before.
 */
export async function insertRows<Entity extends ObjectLiteral>(repository: Repository<Entity>, rows: QueryDeepPartialEntity<Entity> | QueryDeepPartialEntity<Entity>[]): Promise<void> {
  await repository.createQueryBuilder().insert().values(rows).updateEntity(false).execute();
}
