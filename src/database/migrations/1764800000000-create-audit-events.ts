import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './timestamp-columns.js';

/** The audit trail: one row per security event, kept for AUDIT_RETENTION. No foreign keys: it outlives the accounts it names. */
export class CreateAuditEvents1764800000000 implements MigrationInterface {
  name = 'CreateAuditEvents1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'occurred_at', type: timestampType(queryRunner) },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'outcome', type: 'varchar', length: '16' },
          { name: 'actor_id', type: 'integer', isNullable: true },
          { name: 'subject_id', type: 'integer', isNullable: true },
          { name: 'client_address', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '512', isNullable: true },
          { name: 'request_id', type: 'varchar', length: '128', isNullable: true },
          { name: 'details', type: 'text' },
        ],
        indices: [
          new TableIndex({ columnNames: ['occurred_at'] }),
          new TableIndex({ columnNames: ['type'] }),
          new TableIndex({ columnNames: ['actor_id'] }),
          new TableIndex({ columnNames: ['subject_id'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_events');
  }
}
