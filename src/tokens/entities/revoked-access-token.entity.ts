import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An access token revoked before its `exp` (POST /auth/revoke): refused until then, then purged. */
@Entity({ name: 'revoked_access_tokens' })
export class RevokedAccessToken {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  jti: string;

  @Index()
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;
}
