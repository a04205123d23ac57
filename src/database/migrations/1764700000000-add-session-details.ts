import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './timestamp-columns.js';

/**
 * Sessions a person can tell apart and end one by one: when each was last
 * used, and from which address and user agent it began and was last used.
 * Existing sessions count their start as their last use. The index on
 * revoked_at serves the start-up read of recently ended sessions.
 */
export class AddSessionDetails1764700000000 implements MigrationInterface {
  name = 'AddSessionDetails1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('sessions', new TableColumn({ name: 'last_used_at', type: timestampType(queryRunner), isNullable: true }));
    await queryRunner.query('UPDATE sessions SET last_used_at = created_at');
    await queryRunner.changeColumn('sessions', 'last_used_at', new TableColumn({ name: 'last_used_at', type: timestampType(queryRunner) }));
    await queryRunner.addColumns('sessions', [
      new TableColumn({ name: 'created_address', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'created_user_agent', type: 'varchar', length: '512', isNullable: true }),
      new TableColumn({ name: 'last_address', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'last_user_agent', type: 'varchar', length: '512', isNullable: true }),
    ]);
    await queryRunner.createIndex('sessions', new TableIndex({ columnNames: ['revoked_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const sessions = (await queryRunner.getTable('sessions'))!;
    const byRevokedAt = sessions.indices.find((index) => index.columnNames.length === 1 && index.columnNames[0] === 'revoked_at');
    if (byRevokedAt) await queryRunner.dropIndex('sessions', byRevokedAt);
    for (const name of ['last_user_agent', 'last_address', 'created_user_agent', 'created_address', 'last_used_at']) await queryRunner.dropColumn('sessions', name);
  }
}
