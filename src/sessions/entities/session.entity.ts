import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

/**
 * One login: what a password grant starts and every refresh of it continues.
 * Its refresh tokens are valid only while the session is: not revoked, not
 * past its absolute end, and issued under the user's current credentials
 * version. Checking the session row on every use, rather than marking each
 * token, means a token that was being issued while the session ended is dead
 * on arrival, whatever the interleaving.
 */
@Entity({ name: 'sessions' })
export class Session {
  /** A random UUID; the tokens' family. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Index()
  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** The user's credentials version the login verified (User.credentialsVersion). */
  @Column({ name: 'credentials_version', type: 'integer' })
  credentialsVersion: number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  /** The absolute end (SESSION_MAX_LIFETIME after the login), however often it is refreshed. */
  @Index()
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  /** The last login or refresh of this session (access tokens are checked without the database, so they do not count). */
  @Column({ name: 'last_used_at', type: Date })
  lastUsedAt: Date;

  /** The client address and user agent of the login, and of the last refresh: how a person tells their devices apart. */
  @Column({ name: 'created_address', type: 'varchar', length: 64, nullable: true })
  createdAddress: string | null;

  @Column({ name: 'created_user_agent', type: 'varchar', length: 512, nullable: true })
  createdUserAgent: string | null;

  @Column({ name: 'last_address', type: 'varchar', length: 64, nullable: true })
  lastAddress: string | null;

  @Column({ name: 'last_user_agent', type: 'varchar', length: 512, nullable: true })
  lastUserAgent: string | null;

  /**
   * `browser`: the hosted login's session, held in a cookie (only its hash,
   * `cookieHash`, is stored); it issues no tokens itself. `token`: a login
   * whose tokens a grant issued (the password grant, or a client's code
   * exchange, then a child of the browser session in `parentId`).
   */
  @Column({ type: 'varchar', length: 16, default: 'token' })
  kind: 'browser' | 'token';

  /** The client the session's tokens were issued to (for a browser session: the client it signed in for); null for first-party logins without a client. */
  @Index()
  @Column({ name: 'client_id', type: 'varchar', length: 64, nullable: true })
  clientId: string | null;

  /** The browser session this one grew from: ending that one ends this one too (OAUTH.md, "The browser session"). */
  @Index()
  @Column({ name: 'parent_id', type: 'varchar', length: 36, nullable: true })
  parentId: string | null;

  /** The scope granted (space-separated), for a client's session: refreshes may only narrow it. */
  @Column({ type: 'varchar', length: 1024, nullable: true })
  scope: string | null;

  /** The audience (RFC 8707 resource) the session's access tokens are for; null: the default audience. */
  @Column({ type: 'varchar', length: 512, nullable: true })
  resource: string | null;

  /** How the person signed in (RFC 8176 values, space-separated: `pwd`, `pwd otp mfa`). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  amr: string | null;

  /** When the person last proved who they are for this session (OIDC `auth_time`). */
  @Column({ name: 'auth_time', type: Date, nullable: true })
  authTime: Date | null;

  /** RFC 9449 §5: the JWK thumbprint a public client's refresh tokens are bound to (a refresh needs a DPoP proof with that key); null: not bound. */
  @Column({ name: 'dpop_jkt', type: 'varchar', length: 64, nullable: true })
  dpopJkt: string | null;

  /** SHA-256 of a browser session's cookie. */
  @Index({ unique: true })
  @Column({ name: 'cookie_hash', type: 'varchar', length: 64, nullable: true })
  cookieHash: string | null;

  /** Set on logout, on reuse of a spent refresh token, on a password change, and when the session is ended (DELETE /auth/sessions…). */
  @Index()
  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt: Date | null;
}
