import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './timestamp-columns.js';

/**
 * RFC 7591/7592 dynamic registration: the hash of a client's registration
 * access token, and until when an openly registered client that has got no
 * token yet is kept (REGISTRATION_TTL).
 */
export class DynamicRegistration1765500000000 implements MigrationInterface {
  name = 'DynamicRegistration1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('oauth_clients', [
      new TableColumn({ name: 'registration_token_hash', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'unused_expires_at', type: timestampType(queryRunner), isNullable: true }),
    ]);
    await queryRunner.createIndex('oauth_clients', new TableIndex({ columnNames: ['unused_expires_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = await queryRunner.getTable('oauth_clients');
    const index = table?.indices.find((candidate) => candidate.columnNames.join() === 'unused_expires_at');
    if (index) await queryRunner.dropIndex('oauth_clients', index);
    await queryRunner.dropColumns('oauth_clients', ['unused_expires_at', 'registration_token_hash']);
  }
}
