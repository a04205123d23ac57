import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

/** RFC 9126: pushed authorization requests, and the clients that must use them. */
export class PushedAuthorizationRequests1765700000000 implements MigrationInterface {
  name = 'PushedAuthorizationRequests1765700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    // The driver's own spelling of false (SQLite 0, PostgreSQL false), as the entity's default is compared.
    const no = queryRunner.connection.driver.normalizeDefault({ default: false } as Parameters<typeof queryRunner.connection.driver.normalizeDefault>[0]);
    await queryRunner.addColumn('oauth_clients', new TableColumn({ name: 'require_pushed_authorization_requests', type: 'boolean', default: no }));
    await queryRunner.createTable(
      new Table({
        name: 'pushed_authorization_requests',
        columns: [
          { name: 'reference_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'client_id', type: 'varchar', length: '64' },
          { name: 'parameters', type: 'text' },
          { name: 'expires_at', type: timestamp },
          { name: 'started_at', type: timestamp, isNullable: true },
          { name: 'used_at', type: timestamp, isNullable: true },
          ...timestampColumns(queryRunner, ['created_at']),
        ],
        indices: [new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('pushed_authorization_requests');
    await queryRunner.dropColumn('oauth_clients', 'require_pushed_authorization_requests');
  }
}
