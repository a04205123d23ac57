import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../src/audit/entities/audit-event.entity.js';
import { RefreshToken } from '../src/auth/entities/refresh-token.entity.js';
import { RevokedAccessToken } from '../src/tokens/entities/revoked-access-token.entity.js';
import { SigningKey } from '../src/tokens/entities/signing-key.entity.js';
import { Session } from '../src/sessions/entities/session.entity.js';
import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { User } from '../src/users/entities/user.entity.js';
import { MfaChallenge } from '../src/mfa/entities/mfa-challenge.entity.js';
import { RecoveryCode } from '../src/mfa/entities/recovery-code.entity.js';
import { TotpFactor } from '../src/mfa/entities/totp-factor.entity.js';
import { runMigrations } from '../src/database/run-migrations.js';
import { RecoveryToken } from '../src/recovery/entities/recovery-token.entity.js';
import { createTemporaryDatabase, postgresSkipReason, type TemporaryDatabase } from './helpers/postgres.js';

const ENTITIES = [User, Session, RefreshToken, SigningKey, RevokedAccessToken, TotpFactor, RecoveryCode, MfaChallenge, AuditEvent, RecoveryToken];

/** Tables → columns with what matters across drivers: nullability, key, uniqueness, default or not. */
async function schemaOf(dataSource: DataSource) {
  await runMigrations(dataSource);
  const queryRunner = dataSource.createQueryRunner();
  try {
    const tables = await queryRunner.getTables(['users', 'sessions', 'refresh_tokens', 'signing_keys', 'revoked_access_tokens', 'totp_factors', 'recovery_codes', 'mfa_challenges', 'audit_events', 'recovery_tokens']);
    return Object.fromEntries(
      tables.map((table) => [
        table.name,
        Object.fromEntries(
          table.columns.map((column) => [
            column.name,
            { nullable: column.isNullable, primary: column.isPrimary, unique: column.isUnique || table.uniques.some((unique) => unique.columnNames.length === 1 && unique.columnNames[0] === column.name) || table.indices.some((index) => index.isUnique && index.columnNames.length === 1 && index.columnNames[0] === column.name), hasDefault: column.default !== undefined && column.default !== null },
          ]),
        ),
      ]),
    );
  } finally {
    await queryRunner.release();
  }
}

describe.skipIf(await postgresSkipReason())('the migrations', () => {
  let database: TemporaryDatabase;
  const dataSources: DataSource[] = [];
  afterAll(async () => {
    for (const dataSource of dataSources) await dataSource.destroy();
    await database?.drop();
  });

  it('create the same tables and columns on SQLite and PostgreSQL', async () => {
    database = await createTemporaryDatabase();
    const sqlite = new DataSource(buildDataSourceOptions({ type: 'sqlite', file: join(mkdtempSync(join(tmpdir(), 'gatehouse-schema-')), 'a.sqlite') }, ENTITIES));
    const postgres = new DataSource(buildDataSourceOptions({ type: 'postgres', url: database.url, poolSize: 2 }, ENTITIES));
    dataSources.push(await sqlite.initialize(), await postgres.initialize());
    const [onSqlite, onPostgres] = [await schemaOf(sqlite), await schemaOf(postgres)];
    expect(Object.keys(onSqlite.users)).toEqual(['id', 'username', 'username_key', 'password_hash', 'role', 'created_at', 'updated_at', 'credentials_version', 'totp_enabled', 'email', 'email_key', 'email_verified_at']);
    expect(onPostgres).toEqual(onSqlite);
    expect(Object.keys(onSqlite).sort()).toEqual(['audit_events', 'mfa_challenges', 'recovery_codes', 'recovery_tokens', 'refresh_tokens', 'revoked_access_tokens', 'sessions', 'signing_keys', 'totp_factors', 'users']);
    expect(onSqlite.users.email_key).toMatchObject({ nullable: true, unique: true });
  });

  it('leave nothing for the entities to change, on either driver (migration:generate would find nothing)', async () => {
    for (const dataSource of dataSources) {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    }
  });
});
