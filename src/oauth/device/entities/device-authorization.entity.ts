import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** Where a device authorization stands: waiting for the person, answered, or spent for tokens. */
export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'issued';

/**
 * A device authorization request (RFC 8628 §3.1–3.2): the device code and the
 * user code are stored only as hashes (the user code normalised first: upper
 * case, no dash), bound to the client that asked. The person's answer sets
 * `status` (and who approved, with how they signed in); the token endpoint
 * spends an approved one by one conditional UPDATE to `issued`.
 */
@Entity({ name: 'device_authorizations' })
export class DeviceAuthorization {
  @PrimaryColumn({ name: 'device_code_hash', type: 'varchar', length: 64 })
  deviceCodeHash: string;

  @Index({ unique: true })
  @Column({ name: 'user_code_hash', type: 'varchar', length: 64 })
  userCodeHash: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ type: 'varchar', length: 1024 })
  scope: string;

  @Column({ type: 'varchar', length: 16 })
  status: DeviceAuthorizationStatus;

  /** The person who approved (no foreign key: a deleted user's approval simply finds no user at the token endpoint). */
  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  /** The browser session that approved: it must still be live when the tokens are issued (a logout or a password change in between withdraws the approval). */
  @Column({ name: 'browser_session_id', type: 'varchar', length: 36, nullable: true })
  browserSessionId: string | null;

  /** How the approving person signed in, and when (the session's amr and auth_time). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  amr: string | null;

  @Column({ name: 'auth_time', type: Date, nullable: true })
  authTime: Date | null;

  /** Seconds between polls (RFC 8628 §3.2); each slow_down adds 5 (§3.5). */
  @Column({ name: 'poll_interval', type: 'integer' })
  pollInterval: number;

  /** Polls so far: each poll moves it by a conditional UPDATE on the count it read, so of polls sent at once one goes on. */
  @Column({ type: 'integer', default: 0 })
  polls: number;

  @Column({ name: 'last_polled_at', type: Date, nullable: true })
  lastPolledAt: Date | null;

  @Index()
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
