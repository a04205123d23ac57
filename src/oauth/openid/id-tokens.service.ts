import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { scopesOf } from '../../access/principal.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import { SigningKeysService } from '../../tokens/signing-keys.service.js';
import type { User } from '../../users/entities/user.entity.js';
import { scopeClaims } from './scope-claims.js';

/** The scope that makes a token response carry an id token (OIDC Core §3.1.2.1). */
export const OPENID_SCOPE = 'openid';

/** What an id token is issued for: the client's session, the scope of this response, the access token beside it, and the nonce of the code (none on a refresh). */
export interface IdTokenRequest {
  user: User;
  /** A client's token session: its `clientId`, `parentId` (the browser session), `authTime` and `amr`. */
  session: Pick<Session, 'id' | 'clientId' | 'parentId' | 'authTime' | 'amr'>;
  scope: string;
  accessToken: string;
  /** Seconds the access token lives: the id token lives no longer, so the key that signed it verifies as long (the key store's retirement). */
  expiresIn: number;
  nonce?: string | null;
}

/** OIDC Core §3.1.3.6: the hash behind `at_hash` is the one of the signing algorithm (SHA-512 for Ed25519, as OpenID's EdDSA registration says). */
const AT_HASH_DIGEST: Record<string, string> = { RS256: 'sha256', ES256: 'sha256', EdDSA: 'sha512' };

/**
 * ID tokens (OIDC Core §2), signed with the key store's current asymmetric
 * key whatever JWT_ALGORITHM is (HS256 would make every client hold
 * JWT_SECRET, §10.1), so clients verify them from jwks_uri. `sub` is the
 * user id, as in access tokens; `sid` is the browser session the client's
 * session grew from, as back-channel logout tokens name it.
 */
@Injectable()
export class IdTokensService {
  constructor(
    private readonly signingKeys: SigningKeysService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /** Whether a response with this scope, for this session, carries an id token: a client's session with `openid` granted. */
  isDue(session: Pick<Session, 'clientId'>, scope: string | null | undefined): boolean {
    return session.clientId !== null && scopesOf(scope).includes(OPENID_SCOPE);
  }

  /**
   * The id token of a code exchange (with the code's nonce) or a refresh
   * (§12.2: the same iss, sub, aud, azp and auth_time; a new iat; no nonce).
   */
  async sign({ user, session, scope, accessToken, expiresIn, nonce }: IdTokenRequest): Promise<string> {
    const key = await this.signingKeys.asymmetricSigningKey();
    const clientId = session.clientId!;
    const now = Math.floor(Date.now() / 1000);
    const amr = scopesOf(session.amr);
    const claims: Record<string, unknown> = {
      azp: clientId,
      at_hash: accessTokenHash(accessToken, key.algorithm),
      sid: session.parentId ?? session.id,
      ...scopeClaims(user, scopesOf(scope)),
    };
    if (session.authTime) claims.auth_time = Math.floor(session.authTime.getTime() / 1000);
    if (nonce) claims.nonce = nonce;
    if (amr.length) claims.amr = amr;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.config.jwt.issuer)
      .setSubject(String(user.id))
      .setAudience(clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .sign(key.privateKey);
  }
}

/** OIDC Core §3.1.3.6: base64url of the left half of the hash of the access token's ASCII octets. */
export function accessTokenHash(accessToken: string, algorithm: string): string {
  const digest = AT_HASH_DIGEST[algorithm];
  if (!digest) throw new Error(`no at_hash digest for ${algorithm}`);
  const hash = createHash(digest).update(accessToken, 'ascii').digest();
  return hash.subarray(0, hash.length / 2).toString('base64url');
}
