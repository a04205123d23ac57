import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

export const RECOVERY_PURPOSES = ['verify-email', 'reset-password'] as const;
export type RecoveryPurpose = (typeof RECOVERY_PURPOSES)[number];

/**
 * A single-use token mailed to an account's address: to prove the address
 * (with a short code beside it) or to set a new password. Only hashes are
 * stored, so a copy of the database holds none that works.
 */
@Entity({ name: 'recovery_tokens' })
// One token per account and purpose: a new one replaces the last (RecoveryTokensService.issue), so only the newest mail works.
@Index(['userId', 'purpose'], { unique: true })
export class RecoveryToken {
  /** Hex SHA-256 of the token (256 random bits). */
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ type: 'varchar', length: 16 })
  purpose: RecoveryPurpose;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** The (folded) address it was mailed to: once the account's address is another, the token is void. Codes are looked up by it. */
  @Index()
  @Column({ name: 'email_key', type: 'varchar', length: 254 })
  emailKey: string;

  /** Verification only: hex SHA-256 of the short code mailed with the link (tried only under the throttle). */
  @Column({ name: 'code_hash', type: 'varchar', length: 64, nullable: true })
  codeHash: string | null;

  /** The account's credentials version when it was issued: a password set since (by a reset or a change) voids a reset token. */
  @Column({ name: 'credentials_version', type: 'integer' })
  credentialsVersion: number;

  @Index()
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  @Column({ name: 'used_at', type: Date, nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
