import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

/**
 * A password that was right for an account with two-factor on: the
 * `mfa_token` the password grant answers with, which the MFA grant spends once
 * with a code. In the database, so that any instance accepts it, once.
 */
@Entity({ name: 'mfa_challenges' })
export class MfaChallenge {
  /** Hex SHA-256 of the mfa_token (256 random bits). */
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Index()
  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** The credentials version the password check saw: a password change meanwhile voids the challenge. */
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
