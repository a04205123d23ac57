import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampColumns, timestampType } from './timestamp-columns.js';

/** The OAuth client registry: RFC 7591 metadata (lists as JSON text), the secret's hash and the previous one during its grace period. */
export class CreateOAuthClients1765100000000 implements MigrationInterface {
  name = 'CreateOAuthClients1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The driver's own spelling of false (SQLite keeps booleans as 0 and 1), as the entity's default reads back.
    const no = queryRunner.connection.driver.normalizeDefault({ default: false } as Parameters<typeof queryRunner.connection.driver.normalizeDefault>[0]);
    await queryRunner.createTable(
      new Table({
        name: 'oauth_clients',
        columns: [
          { name: 'client_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'client_name', type: 'varchar', length: '200' },
          { name: 'logo_uri', type: 'varchar', length: '2000', isNullable: true },
          { name: 'client_uri', type: 'varchar', length: '2000', isNullable: true },
          { name: 'redirect_uris', type: 'text' },
          { name: 'post_logout_redirect_uris', type: 'text' },
          { name: 'grant_types', type: 'text' },
          { name: 'response_types', type: 'text' },
          { name: 'token_endpoint_auth_method', type: 'varchar', length: '32' },
          { name: 'scope', type: 'varchar', length: '1000' },
          { name: 'application_type', type: 'varchar', length: '16' },
          { name: 'skip_consent', type: 'boolean', default: no },
          { name: 'resources', type: 'text' },
          { name: 'secret_hash', type: 'varchar', length: '64', isNullable: true },
          { name: 'previous_secret_hash', type: 'varchar', length: '64', isNullable: true },
          { name: 'previous_secret_expires_at', type: timestampType(queryRunner), isNullable: true },
          { name: 'revision', type: 'integer', default: 1 },
          ...timestampColumns(queryRunner, ['created_at', 'updated_at']),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('oauth_clients');
  }
}
