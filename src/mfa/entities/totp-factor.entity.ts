import { Column, CreateDateColumn, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

/** An account's TOTP secret (RFC 6238): pending until a first code confirms it, then the second factor of every login. */
@Entity({ name: 'totp_factors' })
export class TotpFactor {
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @OneToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** The base32 secret, AES-256-GCM under KEY_ENCRYPTION_SECRET: a copy of the database alone yields no codes. */
  @Column({ name: 'encrypted_secret', type: 'varchar', length: 255 })
  encryptedSecret: string;

  /** Null while the enrolment awaits its first code. */
  @Column({ name: 'confirmed_at', type: Date, nullable: true })
  confirmedAt: Date | null;

  /** The RFC 6238 time step of the last code accepted: a code is accepted once, never one from this step or before. */
  @Column({ name: 'last_time_step', type: 'integer', nullable: true })
  lastTimeStep: number | null;

  /** Codes tried against this enrolment while pending (MfaService.CONFIRMATION_ATTEMPTS at most); unused once confirmed. */
  @Column({ name: 'confirmation_attempts', type: 'integer', default: 0 })
  confirmationAttempts: number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
