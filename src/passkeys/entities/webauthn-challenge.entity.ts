import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

/** What a challenge was issued for: creating a credential for an account, or signing in with one. */
export type ChallengePurpose = 'registration' | 'authentication';

/**
 * A WebAuthn challenge (WebAuthn §13.4.3: random, and remembered by the
 * relying party until the ceremony ends), valid for 5 minutes and spent once.
 * In the database, which every instance shares, so an answer may reach any
 * instance; it is spent by a DELETE whose row count says which request won.
 */
@Entity({ name: 'webauthn_challenges' })
export class WebAuthnChallenge {
  /** The `challengeId` of the sign-in options (random, 128 bits). */
  @PrimaryColumn({ type: 'varchar', length: 43 })
  id: string;

  /** The challenge itself, base64url, as the options carried it and clientDataJSON echoes it. */
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 86 })
  challenge: string;

  @Column({ type: 'varchar', length: 16 })
  purpose: ChallengePurpose;

  /** A registration's account; null for a sign-in, where the credential names the account. */
  @Index()
  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Index()
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
