import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

/** OpenID Connect Back-Channel Logout 1.0: the clients' logout URIs, and the outbox of logout tokens to deliver. */
export class BackchannelLogout1765400000000 implements MigrationInterface {
  name = 'BackchannelLogout1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    // The driver's own spelling of false (SQLite 0, PostgreSQL false), as the entity's default is compared.
    const no = queryRunner.connection.driver.normalizeDefault({ default: false } as Parameters<typeof queryRunner.connection.driver.normalizeDefault>[0]);
    await queryRunner.addColumns('oauth_clients', [
      new TableColumn({ name: 'backchannel_logout_uri', type: 'varchar', length: '2000', isNullable: true }),
      new TableColumn({ name: 'backchannel_logout_session_required', type: 'boolean', default: no }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'logout_notifications',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'client_id', type: 'varchar', length: '64' },
          { name: 'sid', type: 'varchar', length: '36' },
          { name: 'session_id', type: 'varchar', length: '36' },
          { name: 'sub', type: 'varchar', length: '64' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'next_attempt_at', type: timestamp },
          { name: 'claimed_until', type: timestamp, isNullable: true },
          { name: 'claimed_by', type: 'varchar', length: '36', isNullable: true },
          { name: 'delivered_at', type: timestamp, isNullable: true },
          { name: 'failed_at', type: timestamp, isNullable: true },
          { name: 'last_error', type: 'varchar', length: '128', isNullable: true },
          ...timestampColumns(queryRunner, ['created_at']),
        ],
        indices: [new TableIndex({ columnNames: ['client_id', 'sid'] }), new TableIndex({ columnNames: ['session_id'], isUnique: true }), new TableIndex({ columnNames: ['next_attempt_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('logout_notifications');
    await queryRunner.dropColumns('oauth_clients', ['backchannel_logout_session_required', 'backchannel_logout_uri']);
  }
}
