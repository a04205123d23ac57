import { Table, TableColumn, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

const toUser = () => new TableForeignKey({ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' });

/** TOTP two-factor: the secret per account, its recovery codes, the challenges between password and code, and a flag on the account. */
export class CreateTwoFactor1764710000000 implements MigrationInterface {
  name = 'CreateTwoFactor1764710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    // The driver's own spelling of false (SQLite keeps booleans as 0 and 1), as the entity's default reads back.
    const no = queryRunner.connection.driver.normalizeDefault({ default: false } as Parameters<typeof queryRunner.connection.driver.normalizeDefault>[0]);
    await queryRunner.addColumn('users', new TableColumn({ name: 'totp_enabled', type: 'boolean', default: no }));
    await queryRunner.createTable(
      new Table({
        name: 'totp_factors',
        columns: [
          { name: 'user_id', type: 'integer', isPrimary: true },
          { name: 'encrypted_secret', type: 'varchar', length: '255' },
          { name: 'confirmed_at', type: timestamp, isNullable: true },
          { name: 'last_time_step', type: 'integer', isNullable: true },
          ...timestampColumns(queryRunner, ['created_at']),
        ],
        foreignKeys: [toUser()],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'recovery_codes',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'user_id', type: 'integer' },
          { name: 'code_hash', type: 'varchar', length: '64' },
          { name: 'used_at', type: timestamp, isNullable: true },
          ...timestampColumns(queryRunner, ['created_at']),
        ],
        foreignKeys: [toUser()],
        indices: [new TableIndex({ columnNames: ['user_id'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mfa_challenges',
        columns: [
          { name: 'token_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'user_id', type: 'integer' },
          { name: 'credentials_version', type: 'integer' },
          { name: 'expires_at', type: timestamp },
          { name: 'used_at', type: timestamp, isNullable: true },
          ...timestampColumns(queryRunner, ['created_at']),
        ],
        foreignKeys: [toUser()],
        indices: [new TableIndex({ columnNames: ['user_id'] }), new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mfa_challenges');
    await queryRunner.dropTable('recovery_codes');
    await queryRunner.dropTable('totp_factors');
    await queryRunner.dropColumn('users', 'totp_enabled');
  }
}
