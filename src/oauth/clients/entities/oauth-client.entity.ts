import type { JsonWebKeySet } from '../client-metadata.js';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ApplicationType, ClientMetadata, GrantType, ResponseType, TokenEndpointAuthMethod } from '../client-metadata.js';

/**
 * An application registered to sign people in through Gatehouse or to get
 * tokens of its own: its RFC 7591 metadata, and its secret as a hash. Shared
 * by every instance (no cache: a change or deletion counts everywhere at once).
 */
@Entity({ name: 'oauth_clients' })
export class OAuthClient implements ClientMetadata {
  /** Opaque and random (128 bits, base64url); not a secret (RFC 6749 §2.2). */
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ name: 'client_name', type: 'varchar', length: 200 })
  clientName: string;

  @Column({ name: 'logo_uri', type: 'varchar', length: 2000, nullable: true })
  logoUri: string | null;

  @Column({ name: 'client_uri', type: 'varchar', length: 2000, nullable: true })
  clientUri: string | null;

  /** Compared as exact strings (redirectUriMatches). */
  @Column({ name: 'redirect_uris', type: 'simple-json' })
  redirectUris: string[];

  @Column({ name: 'post_logout_redirect_uris', type: 'simple-json' })
  postLogoutRedirectUris: string[];

  @Column({ name: 'grant_types', type: 'simple-json' })
  grantTypes: GrantType[];

  @Column({ name: 'response_types', type: 'simple-json' })
  responseTypes: ResponseType[];

  @Column({ name: 'token_endpoint_auth_method', type: 'varchar', length: 32 })
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;

  @Column({ type: 'varchar', length: 1000 })
  scope: string;

  @Column({ name: 'application_type', type: 'varchar', length: 16 })
  applicationType: ApplicationType;

  @Column({ name: 'skip_consent', type: 'boolean', default: false })
  skipConsent: boolean;

  @Column({ type: 'simple-json' })
  resources: string[];

  /** OpenID Connect Back-Channel Logout 1.0 §2.2: where Gatehouse POSTs a logout_token when a session the client took part in ends. */
  @Column({ name: 'backchannel_logout_uri', type: 'varchar', length: 2000, nullable: true })
  backchannelLogoutUri: string | null;

  /** §2.2: the client needs `sid` in its logout tokens (Gatehouse always sends it). */
  @Column({ name: 'backchannel_logout_session_required', type: 'boolean', default: false })
  backchannelLogoutSessionRequired: boolean;

  /** RFC 9126 §6: the client's authorization requests must come through the PAR endpoint (a request_uri). */
  @Column({ name: 'require_pushed_authorization_requests', type: 'boolean', default: false })
  requirePushedAuthorizationRequests: boolean;

  /** RFC 9449 §5.2: the client always uses DPoP: a token request without a proof is refused. */
  @Column({ name: 'dpop_bound_access_tokens', type: 'boolean', default: false })
  dpopBoundAccessTokens: boolean;

  /** private_key_jwt (RFC 7591 §2): the client's public keys, given in its metadata; null: none (or at jwks_uri). */
  @Column({ type: 'simple-json', nullable: true })
  jwks: JsonWebKeySet | null;

  /** private_key_jwt: where the client publishes its public keys (fetched under the outbound rules, cached). */
  @Column({ name: 'jwks_uri', type: 'varchar', length: 2000, nullable: true })
  jwksUri: string | null;

  /** Hex SHA-256 of the secret (256 random bits: no slow hash needed); null for a public client. */
  @Column({ name: 'secret_hash', type: 'varchar', length: 64, nullable: true })
  secretHash: string | null;

  /** The secret before the last rotation, which works until previousSecretExpiresAt (CLIENT_SECRET_GRACE). */
  @Column({ name: 'previous_secret_hash', type: 'varchar', length: 64, nullable: true })
  previousSecretHash: string | null;

  @Column({ name: 'previous_secret_expires_at', type: Date, nullable: true })
  previousSecretExpiresAt: Date | null;

  /** RFC 7592: hex SHA-256 of the registration access token that manages the client at its registration_client_uri; null for one an admin made. */
  @Column({ name: 'registration_token_hash', type: 'varchar', length: 64, nullable: true })
  registrationTokenHash: string | null;

  /** An openly registered client that has got no token yet is deleted after this (REGISTRATION_TTL); null once it has, and for every other client. */
  @Index()
  @Column({ name: 'unused_expires_at', type: Date, nullable: true })
  unusedExpiresAt: Date | null;

  /**
   * Raised by every change: an update writes only over the revision it read
   * and validated, so two changes made at once cannot combine into metadata
   * neither would have been allowed to register.
   */
  @Column({ type: 'integer', default: 1 })
  revision: number;

  /** RFC 7591's `client_id_issued_at`. */
  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
