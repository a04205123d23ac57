import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Role } from '../../account-rules/account-rules.js';

@Entity({ name: 'users' })
// An address is verified on one account at most: the database, not a prior read, decides a race to verify it.
@Index(['emailKey'], { unique: true, where: 'email_verified_at IS NOT NULL' })
export class User {
  @PrimaryGeneratedColumn()
  id: number;

  /** The name as registered; shown back to the user. */
  @Column({ type: 'varchar', length: 64 })
  username: string;

  /** The case-folded name: the unique index that makes `Alice` and `alice` one account. */
  @Column({ name: 'username_key', type: 'varchar', length: 64, unique: true })
  usernameKey: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 60 })
  passwordHash: string;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role: Role;

  /**
   * Raised with every password change. A login records the version it
   * verified; its session works only while the version is still current, so a
   * login that read the old password can never outlive the change.
   */
  @Column({ name: 'credentials_version', type: 'integer', default: 1 })
  credentialsVersion: number;

  /** A confirmed TOTP second factor: logins need a code, HTTP Basic is refused. */
  @Column({ name: 'totp_enabled', type: 'boolean', default: false })
  totpEnabled: boolean;

  /** As given (case kept); optional. Mail for the account goes here, a reset only once it is verified. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  /**
   * The case-folded address, so `Alice@example.com` and `alice@example.com`
   * are one address. Unique only among verified addresses (a partial unique
   * index): an address someone merely typed keeps no one else from it, and
   * saying "taken" would tell who has an account.
   */
  @Index()
  @Column({ name: 'email_key', type: 'varchar', length: 254, nullable: true })
  emailKey: string | null;

  /** When the owner of `email` proved it (a mailed token or code); null until then, and again after every change of address. */
  @Column({ name: 'email_verified_at', type: Date, nullable: true })
  emailVerifiedAt: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
