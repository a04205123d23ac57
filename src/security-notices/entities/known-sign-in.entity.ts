import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A device and address an account signed in from: SHA-256 of the user agent
 * and the client address, so a sign-in from a pair not seen before is
 * noticed. Kept apart from the sessions, which are purged after their end;
 * purged itself when not seen for KNOWN_SIGN_IN_RETENTION_MS.
 */
@Entity({ name: 'known_sign_ins' })
export class KnownSignIn {
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  fingerprint: string;

  @Index()
  @Column({ name: 'last_seen_at', type: Date })
  lastSeenAt: Date;
}
