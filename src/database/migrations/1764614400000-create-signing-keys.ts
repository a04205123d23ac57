import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

/** Signing keys shared by every instance (private keys encrypted), and revoked access tokens by jti. */
export class CreateSigningKeys1764614400000 implements MigrationInterface {
  name = 'CreateSigningKeys1764614400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          { name: 'kid', type: 'varchar', length: '64', isPrimary: true },
          { name: 'generation', type: 'integer', isUnique: true },
          { name: 'algorithm', type: 'varchar', length: '16' },
          { name: 'public_jwk', type: 'text' },
          { name: 'encrypted_private_key', type: 'text' },
          ...timestampColumns(queryRunner, ['created_at']),
          { name: 'signs_from', type: timestamp },
          { name: 'revoked_at', type: timestamp, isNullable: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'revoked_access_tokens',
        columns: [
          { name: 'jti', type: 'varchar', length: '64', isPrimary: true },
          { name: 'expires_at', type: timestamp },
        ],
        indices: [new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('revoked_access_tokens');
    await queryRunner.dropTable('signing_keys');
  }
}
