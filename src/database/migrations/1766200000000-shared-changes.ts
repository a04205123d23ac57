import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './timestamp-columns.js';

/** The change feed: what every instance must apply, read from the database whether Redis is there or not (issue 29). */
export class SharedChanges1766200000000 implements MigrationInterface {
  name = 'SharedChanges1766200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'shared_changes',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'instance', type: 'varchar', length: '36' },
          { name: 'event', type: 'varchar', length: '64' },
          { name: 'payload', type: 'text' },
          { name: 'created_at', type: timestampType(queryRunner) },
        ],
        indices: [new TableIndex({ columnNames: ['created_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('shared_changes');
  }
}
