import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

const toUser = () => new TableForeignKey({ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' });

/** Passkeys (WebAuthn): the accounts' credentials, and the challenges of ceremonies under way. */
export class CreatePasskeys1765900000000 implements MigrationInterface {
  name = 'CreatePasskeys1765900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    // The driver's own spelling of false (SQLite keeps booleans as 0 and 1), as the entity's default reads back.
    const no = queryRunner.connection.driver.normalizeDefault({ default: false } as Parameters<typeof queryRunner.connection.driver.normalizeDefault>[0]);
    await queryRunner.createTable(
      new Table({
        name: 'passkeys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'integer' },
          { name: 'credential_id', type: 'varchar', length: '1400' },
          { name: 'public_key', type: 'text' },
          { name: 'counter', type: 'bigint', default: 0 },
          { name: 'transports', type: 'varchar', length: '256', default: "''" },
          { name: 'device_type', type: 'varchar', length: '16' },
          { name: 'backed_up', type: 'boolean', default: no },
          { name: 'name', type: 'varchar', length: '64' },
          ...timestampColumns(queryRunner, ['created_at']),
          { name: 'last_used_at', type: timestamp, isNullable: true },
        ],
        foreignKeys: [toUser()],
        indices: [new TableIndex({ columnNames: ['user_id'] }), new TableIndex({ columnNames: ['credential_id'], isUnique: true })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webauthn_challenges',
        columns: [
          { name: 'id', type: 'varchar', length: '43', isPrimary: true },
          { name: 'challenge', type: 'varchar', length: '86' },
          { name: 'purpose', type: 'varchar', length: '16' },
          { name: 'user_id', type: 'integer', isNullable: true },
          { name: 'expires_at', type: timestamp },
          ...timestampColumns(queryRunner, ['created_at']),
        ],
        foreignKeys: [toUser()],
        indices: [new TableIndex({ columnNames: ['challenge'], isUnique: true }), new TableIndex({ columnNames: ['user_id'] }), new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webauthn_challenges');
    await queryRunner.dropTable('passkeys');
  }
}
