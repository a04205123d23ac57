import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns } from './timestamp-columns.js';

export class CreateUsers1764355200000 implements MigrationInterface {
  name = 'CreateUsers1764355200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'username', type: 'varchar', length: '64' },
          { name: 'username_key', type: 'varchar', length: '64', isUnique: true },
          { name: 'password_hash', type: 'varchar', length: '60' },
          { name: 'role', type: 'varchar', length: '16', default: "'user'" },
          ...timestampColumns(queryRunner, ['created_at', 'updated_at']),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
  }
}
