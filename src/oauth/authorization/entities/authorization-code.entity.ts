import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../../users/entities/user.entity.js';

/**
 * An authorization code (RFC 6749 §4.1.2), stored only as a hash, bound to
 * everything OAUTH.md lists: client, redirect URI, PKCE challenge, scope,
 * nonce and the browser session. Redeemed once by one conditional UPDATE;
 * `issuedSessionId` names what the redemption got, so a replay can end it
 * (RFC 6749 §4.1.2, RFC 9700 §4.5).
 */
@Entity({ name: 'authorization_codes' })
export class AuthorizationCode {
  @PrimaryColumn({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ name: 'browser_session_id', type: 'varchar', length: 36 })
  browserSessionId: string;

  @Column({ name: 'redirect_uri', type: 'varchar', length: 2048 })
  redirectUri: string;

  /** BASE64URL(SHA-256(code_verifier)) (RFC 7636 §4.2, S256 only). */
  @Column({ name: 'code_challenge', type: 'varchar', length: 128 })
  codeChallenge: string;

  @Column({ type: 'varchar', length: 1024 })
  scope: string;

  @Column({ type: 'varchar', length: 512, nullable: true })
  nonce: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  resource: string | null;

  /** RFC 9449 §10: the JWK thumbprint of the key the code is bound to (`dpop_jkt`, or the DPoP proof of the pushed request); null: not bound. */
  @Column({ name: 'dpop_jkt', type: 'varchar', length: 64, nullable: true })
  dpopJkt: string | null;

  @Index()
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  @Column({ name: 'redeemed_at', type: Date, nullable: true })
  redeemedAt: Date | null;

  @Column({ name: 'issued_session_id', type: 'varchar', length: 36, nullable: true })
  issuedSessionId: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
