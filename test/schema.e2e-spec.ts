import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../src/audit/entities/audit-event.entity.js';
import { RefreshToken } from '../src/oauth/refresh-tokens/entities/refresh-token.entity.js';
import { RevokedAccessToken } from '../src/tokens/entities/revoked-access-token.entity.js';
import { SigningKey } from '../src/tokens/entities/signing-key.entity.js';
import { Session } from '../src/sessions/entities/session.entity.js';
import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { User } from '../src/users/entities/user.entity.js';
import { MfaChallenge } from '../src/mfa/entities/mfa-challenge.entity.js';
import { RecoveryCode } from '../src/mfa/entities/recovery-code.entity.js';
import { TotpFactor } from '../src/mfa/entities/totp-factor.entity.js';
import { runMigrations } from '../src/database/run-migrations.js';
import { migrations } from '../src/database/migrations/index.js';
import { VerifiedEmailUnique1764950000000 } from '../src/database/migrations/1764950000000-verified-email-unique.js';
import { RecoveryToken } from '../src/recovery/entities/recovery-token.entity.js';
import { OAuthClient } from '../src/oauth/clients/entities/oauth-client.entity.js';
import { LogoutNotification } from '../src/oauth/backchannel-logout/entities/logout-notification.entity.js';
import { Passkey } from '../src/passkeys/entities/passkey.entity.js';
import { WebAuthnChallenge } from '../src/passkeys/entities/webauthn-challenge.entity.js';
import { createTemporaryDatabase, postgresSkipReason, type TemporaryDatabase } from './helpers/postgres.js';

const ENTITIES = [User, Session, RefreshToken, SigningKey, RevokedAccessToken, TotpFactor, RecoveryCode, MfaChallenge, AuditEvent, RecoveryToken, OAuthClient, LogoutNotification, Passkey, WebAuthnChallenge];

/** Tables → columns with what matters across drivers: nullability, key, uniqueness, default or not. */
async function schemaOf(dataSource: DataSource) {
  await runMigrations(dataSource);
  const queryRunner = dataSource.createQueryRunner();
  try {
    const tables = await queryRunner.getTables(['users', 'sessions', 'refresh_tokens', 'signing_keys', 'revoked_access_tokens', 'totp_factors', 'recovery_codes', 'mfa_challenges', 'audit_events', 'recovery_tokens', 'oauth_clients', 'logout_notifications', 'passkeys', 'webauthn_challenges']);
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
    expect(Object.keys(onSqlite).sort()).toEqual(['audit_events', 'logout_notifications', 'mfa_challenges', 'oauth_clients', 'passkeys', 'recovery_codes', 'recovery_tokens', 'refresh_tokens', 'revoked_access_tokens', 'sessions', 'signing_keys', 'totp_factors', 'users', 'webauthn_challenges']);
    expect(onSqlite.users.email_key).toMatchObject({ nullable: true, unique: true });
  });

  it('make an e-mail address unique only once verified, and a recovery token unique per account and purpose, on both drivers', async () => {
    for (const dataSource of dataSources) {
      const queryRunner = dataSource.createQueryRunner();
      try {
        const tables = await queryRunner.getTables(['users', 'recovery_tokens']);
        const [users, recoveryTokens] = ['users', 'recovery_tokens'].map((name) => tables.find((table) => table.name === name)!);
        const byEmail = users.indices.filter((index) => index.columnNames.join() === 'email_key');
        expect(byEmail.map((index) => [index.isUnique, (index.where ?? '').replace(/[()"]/g, '')]).sort(), dataSource.options.type).toEqual([
          [false, ''],
          [true, 'email_verified_at IS NOT NULL'],
        ]);
        expect(users.uniques.filter((unique) => unique.columnNames.includes('email_key')), dataSource.options.type).toEqual([]);
        expect(recoveryTokens.indices.find((index) => index.isUnique)?.columnNames.sort(), dataSource.options.type).toEqual(['purpose', 'user_id']);
      } finally {
        await queryRunner.release();
      }
    }
  });

  it('leave nothing for the entities to change, on either driver (migration:generate would find nothing)', async () => {
    for (const dataSource of dataSources) {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    }
  });

  it('keep the newest recovery token per account and purpose when made unique, and undo it (one account per address), on both drivers', async () => {
    const second = await createTemporaryDatabase();
    const drivers = [
      { type: 'sqlite', file: join(mkdtempSync(join(tmpdir(), 'gatehouse-schema-')), 'b.sqlite') },
      { type: 'postgres', url: second.url, poolSize: 2 },
    ] as const;
    try {
      for (const driver of drivers) {
        const before = migrations.slice(0, migrations.indexOf(VerifiedEmailUnique1764950000000));
        const old = await new DataSource({ ...buildDataSourceOptions(driver), migrations: before }).initialize();
        await old.runMigrations({ transaction: 'all' });
        await old.query(`INSERT INTO users (username, username_key, password_hash, email, email_key, email_verified_at) VALUES ('a', 'a', 'x', 'A@x.test', 'a@x.test', NULL), ('b', 'b', 'x', 'b@x.test', 'b@x.test', '2026-12-01 00:00:00')`);
        const token = (hash: string, user: number, purpose: string, created: string) =>
          `('${hash}', '${purpose}', ${user}, 'a@x.test', 1, '2099-01-01 00:00:00', '${created}')`;
        await old.query(
          `INSERT INTO recovery_tokens (token_hash, purpose, user_id, email_key, credentials_version, expires_at, created_at) VALUES ` +
            [token('older', 1, 'verify-email', '2026-12-01 00:00:00'), token('newer', 1, 'verify-email', '2026-12-02 00:00:00'), token('reset', 1, 'reset-password', '2026-12-01 00:00:00'), token('other', 2, 'verify-email', '2026-12-01 00:00:00')].join(', '),
        );
        await old.destroy();

        const current = await new DataSource(buildDataSourceOptions(driver)).initialize();
        dataSources.push(current);
        await runMigrations(current);
        expect((await current.query(`SELECT token_hash FROM recovery_tokens ORDER BY token_hash`)).map((row: { token_hash: string }) => row.token_hash), driver.type).toEqual(['newer', 'other', 'reset']);
        // Now two accounts may hold one address while neither has verified it.
        await current.query(`UPDATE users SET email_key = 'b@x.test', email_verified_at = NULL WHERE username = 'a'`);
        // Undone back to before it, with the migrations that came after it.
        for (let undone = migrations.length; undone > before.length; undone--) await current.undoLastMigration({ transaction: 'all' });
        const users = await current.query(`SELECT username, email_key FROM users ORDER BY username`);
        expect(users.map((row: { username: string; email_key: string | null }) => [row.username, row.email_key]), driver.type).toEqual([['a', null], ['b', 'b@x.test']]);
      }
    } finally {
      for (const dataSource of dataSources.splice(2)) await dataSource.destroy();
      await second.drop();
    }
  });
});
