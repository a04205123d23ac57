import { Table, TableColumn, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

const toUser = () => new TableForeignKey({ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' });

/**
 * The authorization server's state: sessions learn which client they serve,
 * with which scope, and which browser session (the cookie of the hosted
 * login) they grew from; authorization codes; consents.
 */
export class CreateAuthorization1765200000000 implements MigrationInterface {
  name = 'CreateAuthorization1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.addColumns('sessions', [
      new TableColumn({ name: 'kind', type: 'varchar', length: '16', default: "'token'" }),
      new TableColumn({ name: 'client_id', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'parent_id', type: 'varchar', length: '36', isNullable: true }),
      new TableColumn({ name: 'scope', type: 'varchar', length: '1024', isNullable: true }),
      new TableColumn({ name: 'resource', type: 'varchar', length: '512', isNullable: true }),
      new TableColumn({ name: 'amr', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'auth_time', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'cookie_hash', type: 'varchar', length: '64', isNullable: true }),
    ]);
    await queryRunner.createIndices('sessions', [new TableIndex({ columnNames: ['client_id'] })]);
    await queryRunner.createIndices('sessions', [new TableIndex({ columnNames: ['parent_id'] })]);
    await queryRunner.createIndices('sessions', [new TableIndex({ columnNames: ['cookie_hash'], isUnique: true })]);
    await queryRunner.createTable(
      new Table({
        name: 'authorization_codes',
        columns: [
          { name: 'code_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'client_id', type: 'varchar', length: '64' },
          { name: 'user_id', type: 'integer' },
          { name: 'browser_session_id', type: 'varchar', length: '36' },
          { name: 'redirect_uri', type: 'varchar', length: '2048' },
          { name: 'code_challenge', type: 'varchar', length: '128' },
          { name: 'scope', type: 'varchar', length: '1024' },
          { name: 'nonce', type: 'varchar', length: '512', isNullable: true },
          { name: 'resource', type: 'varchar', length: '512', isNullable: true },
          { name: 'expires_at', type: timestamp },
          { name: 'redeemed_at', type: timestamp, isNullable: true },
          { name: 'issued_session_id', type: 'varchar', length: '36', isNullable: true },
          ...timestampColumns(queryRunner, ['created_at']),
        ],
        foreignKeys: [toUser()],
        indices: [new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'consents',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'user_id', type: 'integer' },
          { name: 'client_id', type: 'varchar', length: '64' },
          { name: 'scope', type: 'varchar', length: '1024' },
          ...timestampColumns(queryRunner, ['created_at', 'updated_at']),
        ],
        foreignKeys: [toUser()],
        indices: [new TableIndex({ columnNames: ['user_id', 'client_id'], isUnique: true }), new TableIndex({ columnNames: ['client_id'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('consents');
    await queryRunner.dropTable('authorization_codes');
    const sessions = await queryRunner.getTable('sessions');
    for (const index of sessions!.indices.filter((index) => ['client_id', 'parent_id', 'cookie_hash'].includes(index.columnNames[0]))) {
      await queryRunner.dropIndex('sessions', index);
    }
    await queryRunner.dropColumns('sessions', ['cookie_hash', 'auth_time', 'amr', 'resource', 'scope', 'parent_id', 'client_id', 'kind']);
  }
}
