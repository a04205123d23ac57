import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './timestamp-columns.js';

/**
 * DPoP (RFC 9449): clients that must bind their tokens (`dpop_bound_access_tokens`),
 * codes bound to a key (§10, `dpop_jkt`), sessions whose refresh tokens are bound
 * (§5, public clients); and one table for every single-use identifier (client
 * assertion and DPoP proof `jti`s), which takes over `client_assertions`.
 */
/** A table of identifiers used once: (scope, hash) as the primary key, and when the row may go. */
function singleUseTable(queryRunner: QueryRunner, name: string, [scope, scopeLength]: [string, string], hash: string): Table {
  return new Table({
    name,
    columns: [
      { name: scope, type: 'varchar', length: scopeLength, isPrimary: true },
      { name: hash, type: 'varchar', length: '64', isPrimary: true },
      { name: 'expires_at', type: timestampType(queryRunner) },
    ],
    indices: [new TableIndex({ columnNames: ['expires_at'] })],
  });
}

export class Dpop1765714300000 implements MigrationInterface {
  name = 'Dpop1765714300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const no = queryRunner.connection.driver.normalizeDefault({ default: false } as Parameters<typeof queryRunner.connection.driver.normalizeDefault>[0]);
    await queryRunner.addColumn('oauth_clients', new TableColumn({ name: 'dpop_bound_access_tokens', type: 'boolean', default: no }));
    await queryRunner.addColumn('authorization_codes', new TableColumn({ name: 'dpop_jkt', type: 'varchar', length: '64', isNullable: true }));
    await queryRunner.addColumn('sessions', new TableColumn({ name: 'dpop_jkt', type: 'varchar', length: '64', isNullable: true }));
    await queryRunner.createTable(singleUseTable(queryRunner, 'used_identifiers', ['scope', '128'], 'id_hash'));
    // The assertions seen so far stay refused until they expire.
    await queryRunner.query(`INSERT INTO used_identifiers (scope, id_hash, expires_at) SELECT 'client-assertion:' || client_id, jti_hash, expires_at FROM client_assertions`);
    await queryRunner.dropTable('client_assertions');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(singleUseTable(queryRunner, 'client_assertions', ['client_id', '64'], 'jti_hash'));
    await queryRunner.dropTable('used_identifiers');
    await queryRunner.dropColumn('sessions', 'dpop_jkt');
    await queryRunner.dropColumn('authorization_codes', 'dpop_jkt');
    await queryRunner.dropColumn('oauth_clients', 'dpop_bound_access_tokens');
  }
}
