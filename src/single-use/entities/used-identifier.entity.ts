import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An identifier that may be used once (a client assertion's `jti`, RFC 7523
 * §3 item 7; a DPoP proof's `jti`, RFC 9449 §11.1), kept until what it names
 * expires: the primary key makes a second insert of the same pair fail on
 * every instance at once.
 */
@Entity({ name: 'used_identifiers' })
export class UsedIdentifier {
  /** What the identifier belongs to: `client-assertion:<client_id>`, `dpop:<jkt>`. */
  @PrimaryColumn({ type: 'varchar', length: 128 })
  scope: string;

  /** SHA-256 of the identifier (any length its maker chose), hex. */
  @PrimaryColumn({ name: 'id_hash', type: 'varchar', length: 64 })
  idHash: string;

  @Index()
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;
}
