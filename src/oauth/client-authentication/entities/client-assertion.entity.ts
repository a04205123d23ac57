import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A `private_key_jwt` client assertion's `jti`, kept until the assertion
 * expires: the primary key makes a second insert of the same pair fail on
 * every instance at once (RFC 7523 §3 item 7, OIDC Core §9: single use).
 */
@Entity({ name: 'client_assertions' })
export class ClientAssertion {
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  /** SHA-256 of the jti (any length the client chose), hex. */
  @PrimaryColumn({ name: 'jti_hash', type: 'varchar', length: 64 })
  jtiHash: string;

  @Index()
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;
}
