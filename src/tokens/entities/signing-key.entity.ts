import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A key that signs access tokens (RS256, ES256 or EdDSA). In the database, so
 * every instance signs and verifies with the same set; the private key only
 * encrypted (AES-256-GCM under KEY_ENCRYPTION_SECRET). A key is published
 * from its creation, signs from `signsFrom` until the next generation signs,
 * and keeps verifying until every token it signed has expired.
 */
@Entity({ name: 'signing_keys' })
export class SigningKey {
  /** The `kid`: the RFC 7638 thumbprint of the public key. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  /** 1, 2, 3…: unique, so two instances creating or rotating at once cannot both add the next key. */
  @Column({ type: 'integer', unique: true })
  generation: number;

  @Column({ type: 'varchar', length: 16 })
  algorithm: string;

  /** The public key as a JWK (RFC 7517), as /.well-known/jwks.json publishes it. */
  @Column({ name: 'public_jwk', type: 'text' })
  publicJwk: string;

  /** The private key, PKCS #8, encrypted (see key-encryption.ts). */
  @Column({ name: 'encrypted_private_key', type: 'text' })
  encryptedPrivateKey: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'signs_from', type: Date })
  signsFrom: Date;

  /** Set when the key is revoked (compromise): it stops verifying at once, and its tokens end. */
  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt: Date | null;
}
