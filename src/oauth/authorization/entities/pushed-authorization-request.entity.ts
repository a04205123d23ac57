import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A pushed authorization request (RFC 9126): the parameters a client sent to
 * the PAR endpoint, found by the hash of the `request_uri` handed back (the
 * reference itself is never stored). `startedAt` is set by the one
 * authorization request that may use it; `usedAt` when it ended in a code
 * (or a refusal), each by one conditional UPDATE: single use across instances.
 */
@Entity({ name: 'pushed_authorization_requests' })
export class PushedAuthorizationRequest {
  @PrimaryColumn({ name: 'reference_hash', type: 'varchar', length: 64 })
  referenceHash: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  /** The authorization request's parameters, as JSON (each at most 2048 characters, checked before storing). */
  @Column({ type: 'text' })
  parameters: string;

  @Index()
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  @Column({ name: 'started_at', type: Date, nullable: true })
  startedAt: Date | null;

  @Column({ name: 'used_at', type: Date, nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
