import { Table, TableColumn, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

/**
 * Sessions (one per login) own their refresh tokens, and users get a
 * credentials version: revocation and password changes become one row each,
 * checked on every use of a token. Existing token families become sessions
 * that end when their last token does.
 */
export class CreateSessions1764528000000 implements MigrationInterface {
  name = 'CreateSessions1764528000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.addColumn('users', new TableColumn({ name: 'credentials_version', type: 'integer', default: 1 }));
    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'integer' },
          { name: 'credentials_version', type: 'integer' },
          ...timestampColumns(queryRunner, ['created_at']),
          { name: 'expires_at', type: timestamp },
          { name: 'revoked_at', type: timestamp, isNullable: true },
        ],
        foreignKeys: [new TableForeignKey({ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
        indices: [new TableIndex({ columnNames: ['user_id'] }), new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
    await queryRunner.query(
      `INSERT INTO sessions (id, user_id, credentials_version, created_at, expires_at, revoked_at)
       SELECT family_id, MIN(user_id), 1, MIN(created_at), MAX(expires_at), MAX(revoked_at) FROM refresh_tokens GROUP BY family_id`,
    );
    await queryRunner.dropColumn('refresh_tokens', 'revoked_at');
    await queryRunner.renameColumn('refresh_tokens', 'family_id', 'session_id');
    await queryRunner.createForeignKey(
      'refresh_tokens',
      new TableForeignKey({ columnNames: ['session_id'], referencedTableName: 'sessions', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    const refreshTokens = (await queryRunner.getTable('refresh_tokens'))!;
    const toSessions = refreshTokens.foreignKeys.find((foreignKey) => foreignKey.referencedTableName.endsWith('sessions'))!;
    await queryRunner.dropForeignKey('refresh_tokens', toSessions);
    await queryRunner.renameColumn('refresh_tokens', 'session_id', 'family_id');
    await queryRunner.addColumn('refresh_tokens', new TableColumn({ name: 'revoked_at', type: timestamp, isNullable: true }));
    await queryRunner.query(`UPDATE refresh_tokens SET revoked_at = (SELECT revoked_at FROM sessions WHERE sessions.id = refresh_tokens.family_id)`);
    await queryRunner.dropTable('sessions');
    await queryRunner.dropColumn('users', 'credentials_version');
  }
}
