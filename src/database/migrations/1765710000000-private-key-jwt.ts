import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './timestamp-columns.js';

/** private_key_jwt client authentication (RFC 7523 §2.2): the clients' public keys, and the assertions' jti seen. */
export class PrivateKeyJwt1765710000000 implements MigrationInterface {
  name = 'PrivateKeyJwt1765710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('oauth_clients', [
      new TableColumn({ name: 'jwks', type: 'text', isNullable: true }),
      new TableColumn({ name: 'jwks_uri', type: 'varchar', length: '2000', isNullable: true }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'client_assertions',
        columns: [
          { name: 'client_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'jti_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'expires_at', type: timestampType(queryRunner) },
        ],
        indices: [new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('client_assertions');
    await queryRunner.dropColumns('oauth_clients', ['jwks_uri', 'jwks']);
  }
}
