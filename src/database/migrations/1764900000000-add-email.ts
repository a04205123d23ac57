import { Table, TableColumn, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

/**
 * An optional e-mail address per account (unique case-insensitively, through
 * its folded key) and when it was verified; the single-use tokens mailed to
 * verify an address or reset a password, stored only as hashes.
 */
export class AddEmail1764900000000 implements MigrationInterface {
  name = 'AddEmail1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.addColumns('users', [
      new TableColumn({ name: 'email', type: 'varchar', length: '254', isNullable: true }),
      // Unique, yet any number of accounts may have none: both databases let NULLs repeat in a unique index.
      new TableColumn({ name: 'email_key', type: 'varchar', length: '254', isNullable: true, isUnique: true }),
      new TableColumn({ name: 'email_verified_at', type: timestamp, isNullable: true }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'recovery_tokens',
        columns: [
          { name: 'token_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'purpose', type: 'varchar', length: '16' },
          { name: 'user_id', type: 'integer' },
          { name: 'email_key', type: 'varchar', length: '254' },
          { name: 'code_hash', type: 'varchar', length: '64', isNullable: true },
          { name: 'credentials_version', type: 'integer' },
          { name: 'expires_at', type: timestamp },
          { name: 'used_at', type: timestamp, isNullable: true },
          ...timestampColumns(queryRunner, ['created_at']),
        ],
        foreignKeys: [new TableForeignKey({ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
        indices: [new TableIndex({ columnNames: ['user_id'] }), new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('recovery_tokens');
    await queryRunner.dropColumns('users', ['email_verified_at', 'email_key', 'email']);
  }
}
