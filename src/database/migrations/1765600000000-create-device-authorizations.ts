import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

/** RFC 8628: the device authorization requests (device and user codes as hashes). */
export class CreateDeviceAuthorizations1765600000000 implements MigrationInterface {
  name = 'CreateDeviceAuthorizations1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'device_authorizations',
        columns: [
          { name: 'device_code_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'user_code_hash', type: 'varchar', length: '64' },
          { name: 'client_id', type: 'varchar', length: '64' },
          { name: 'scope', type: 'varchar', length: '1024' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'user_id', type: 'integer', isNullable: true },
          { name: 'browser_session_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'amr', type: 'varchar', length: '64', isNullable: true },
          { name: 'auth_time', type: timestamp, isNullable: true },
          { name: 'poll_interval', type: 'integer' },
          { name: 'polls', type: 'integer', default: 0 },
          { name: 'last_polled_at', type: timestamp, isNullable: true },
          { name: 'expires_at', type: timestamp },
          ...timestampColumns(queryRunner, ['created_at']),
        ],
        indices: [new TableIndex({ columnNames: ['user_code_hash'], isUnique: true }), new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('device_authorizations');
  }
}
