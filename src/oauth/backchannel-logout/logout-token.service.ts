import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { SigningKeysService } from '../../tokens/signing-keys.service.js';

/** OIDC Back-Channel Logout 1.0 §2.4: the event a logout token carries. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** §2.4's `typ` (RFC 8725 §3.11 explicit typing): never taken for an access or ID token (AccessTokensService accepts only JWT and at+jwt). */
export const LOGOUT_TOKEN_TYPE = 'logout+jwt';
/** The spec recommends a short life (§2.4 "exp"): long enough for one delivery, and each retry signs a new one. */
const LOGOUT_TOKEN_TTL_SECONDS = 120;

/** What a logout token names: whom it is for, who signed out, and of which session. */
export interface LogoutSubject {
  clientId: string;
  sub: string;
  sid: string;
}

/**
 * Signs logout tokens (§2.4): `iss`, `sub`, `aud` (the client), `iat`,
 * `exp`, `jti`, `events` and `sid`; never a `nonce` (§2.4 forbids it, so a
 * logout token cannot pass for an ID token). With the key store's current
 * asymmetric key, which the client verifies through jwks_uri.
 */
@Injectable()
export class LogoutTokenService {
  constructor(
    private readonly signingKeys: SigningKeysService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  async sign({ clientId, sub, sid }: LogoutSubject): Promise<string> {
    const key = await this.signingKeys.asymmetricSigningKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, sid })
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: LOGOUT_TOKEN_TYPE })
      .setIssuer(this.config.jwt.issuer)
      .setSubject(sub)
      .setAudience(clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + LOGOUT_TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }
}
