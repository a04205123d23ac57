import { TableIndex, TableUnique, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * An e-mail address unique only once verified, and one mailed token per
 * account and purpose.
 *
 * - users.email_key: the unique constraint becomes a plain index (lookups)
 *   and a partial unique index over verified rows (`WHERE email_verified_at
 *   IS NOT NULL`, on SQLite and PostgreSQL alike). An unverified address
 *   keeps no one out, and no answer needs to say "taken".
 * - recovery_tokens: the index on user_id becomes a unique one on (user_id,
 *   purpose), which a new token replaces in one upsert, so only the newest
 *   mail works; older duplicates are dropped first (the newest kept). Codes
 *   are looked up by address: an index on email_key.
 */
export class VerifiedEmailUnique1764950000000 implements MigrationInterface {
  name = 'VerifiedEmailUnique1764950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const unique = (await queryRunner.getTable('users'))!.uniques.find((constraint) => constraint.columnNames.length === 1 && constraint.columnNames[0] === 'email_key');
    if (unique) await queryRunner.dropUniqueConstraint('users', unique);
    // One at a time: TypeORM's createIndices runs its createIndex calls at once, and on SQLite one of them
    // can read the table's index list while another index is being made (a half-read table, a TypeError).
    await queryRunner.createIndex('users', new TableIndex({ columnNames: ['email_key'] }));
    await queryRunner.createIndex('users', new TableIndex({ columnNames: ['email_key'], isUnique: true, where: 'email_verified_at IS NOT NULL' }));

    const byUser = (await queryRunner.getTable('recovery_tokens'))!.indices.find((index) => index.columnNames.length === 1 && index.columnNames[0] === 'user_id');
    if (byUser) await queryRunner.dropIndex('recovery_tokens', byUser);
    await queryRunner.query(
      `DELETE FROM recovery_tokens WHERE EXISTS (SELECT 1 FROM recovery_tokens newer WHERE newer.user_id = recovery_tokens.user_id AND newer.purpose = recovery_tokens.purpose ` +
        `AND (newer.created_at > recovery_tokens.created_at OR (newer.created_at = recovery_tokens.created_at AND newer.token_hash > recovery_tokens.token_hash)))`,
    );
    await queryRunner.createIndex('recovery_tokens', new TableIndex({ columnNames: ['user_id', 'purpose'], isUnique: true }));
    await queryRunner.createIndex('recovery_tokens', new TableIndex({ columnNames: ['email_key'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const recoveryTokens = (await queryRunner.getTable('recovery_tokens'))!;
    for (const index of recoveryTokens.indices) await queryRunner.dropIndex('recovery_tokens', index);
    await queryRunner.createIndex('recovery_tokens', new TableIndex({ columnNames: ['user_id'] }));
    await queryRunner.createIndex('recovery_tokens', new TableIndex({ columnNames: ['expires_at'] }));
    const users = (await queryRunner.getTable('users'))!;
    for (const index of users.indices.filter((index) => index.columnNames.length === 1 && index.columnNames[0] === 'email_key')) await queryRunner.dropIndex('users', index);
    // Back to one account per address: of the verified or unverified holders, the verified one (or the first) keeps it.
    await queryRunner.query(
      `UPDATE users SET email = NULL, email_key = NULL, email_verified_at = NULL WHERE email_key IS NOT NULL AND EXISTS (SELECT 1 FROM users other WHERE other.email_key = users.email_key ` +
        `AND other.id <> users.id AND (other.email_verified_at IS NOT NULL OR (users.email_verified_at IS NULL AND other.id < users.id)))`,
    );
    await queryRunner.createUniqueConstraint('users', new TableUnique({ columnNames: ['email_key'] }));
  }
}
