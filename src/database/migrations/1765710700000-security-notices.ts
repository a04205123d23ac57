import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

/** Security notices by e-mail: their outbox, the interval each kind keeps per account, and the sign-ins seen. */
export class SecurityNotices1765710700000 implements MigrationInterface {
  name = 'SecurityNotices1765710700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'security_notices',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'user_id', type: 'integer' },
          { name: 'kind', type: 'varchar', length: '32' },
          { name: 'recipient', type: 'varchar', length: '320' },
          { name: 'occurred_at', type: timestamp },
          { name: 'client_address', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '512', isNullable: true },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'next_attempt_at', type: timestamp },
          { name: 'claimed_until', type: timestamp, isNullable: true },
          { name: 'claimed_by', type: 'varchar', length: '36', isNullable: true },
          { name: 'delivered_at', type: timestamp, isNullable: true },
          { name: 'failed_at', type: timestamp, isNullable: true },
          { name: 'last_error', type: 'varchar', length: '128', isNullable: true },
          ...timestampColumns(queryRunner, ['created_at']),
        ],
        indices: [new TableIndex({ columnNames: ['next_attempt_at'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'security_notice_windows',
        columns: [
          { name: 'user_id', type: 'integer', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '32', isPrimary: true },
          { name: 'noticed_at', type: timestamp },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'known_sign_ins',
        columns: [
          { name: 'user_id', type: 'integer', isPrimary: true },
          { name: 'fingerprint', type: 'varchar', length: '64', isPrimary: true },
          { name: 'last_seen_at', type: timestamp },
        ],
        indices: [new TableIndex({ columnNames: ['last_seen_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('known_sign_ins');
    await queryRunner.dropTable('security_notice_windows');
    await queryRunner.dropTable('security_notices');
  }
}
