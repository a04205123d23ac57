import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt, jwtVerify } from 'jose';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { SingleUseService } from '../../single-use/single-use.service.js';
import { bodyParameter, type ClientAuthenticationMethod, type ClientCredentials, type PresentedClient, type RequestBody } from './client-authentication-method.js';
import { ClientKeysService } from './client-keys.service.js';

/** RFC 7523 §2.2. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The algorithms an assertion may be signed with: asymmetric only, never `none` or HS* (a client's keys are public). */
export const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/** An assertion lives at most this long (exp − iat, or exp − now): a far-future one is a bearer credential, refused. */
const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 30;
const MAX_ASSERTION_LENGTH = 8192;

/**
 * `private_key_jwt` (RFC 7523 §2.2, §3; OIDC Core §9): `client_assertion_type`
 * jwt-bearer and a `client_assertion` JWT signed with one of the client's
 * registered keys, `iss` = `sub` = client_id, `aud` Gatehouse (the issuer or
 * one of the endpoints that take client authentication), a short `exp`, and
 * a `jti` used once on every instance.
 */
@Injectable()
export class PrivateKeyJwtMethod implements ClientAuthenticationMethod {
  readonly name = 'private_key_jwt';
  readonly proves = true;
  private readonly audiences: string[];

  constructor(
    private readonly keys: ClientKeysService,
    private readonly singleUse: SingleUseService,
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
  ) {
    const base = config.publicUrl;
    this.audiences = [...new Set([config.jwt.issuer, base, ...['/auth/token', '/auth/par', '/auth/device', '/auth/introspect', '/auth/revoke'].map((path) => `${base}${path}`)])];
  }

  read(_request: unknown, body: RequestBody): PresentedClient | null {
    const type = bodyParameter(body, 'client_assertion_type');
    const assertion = bodyParameter(body, 'client_assertion');
    if (type === undefined && assertion === undefined) return null;
    if (type !== JWT_BEARER_ASSERTION_TYPE) return { malformed: `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}` };
    if (assertion === undefined || assertion.length > MAX_ASSERTION_LENGTH) return { malformed: 'client_assertion is missing or too long' };
    let subject: unknown;
    try {
      subject = decodeJwt(assertion).sub;
    } catch {
      return { malformed: 'client_assertion is not a JWT' };
    }
    // RFC 7523 §3 item 2: sub is the client_id; checked against the signature in verify.
    if (typeof subject !== 'string' || subject === '') return { malformed: 'client_assertion has no sub (the client_id)' };
    return { clientId: subject, assertion };
  }

  async verify(client: OAuthClient, { assertion }: ClientCredentials): Promise<boolean> {
    if (!assertion) return false;
    try {
      const { payload } = await jwtVerify(assertion, this.keys.resolverFor(client), {
        algorithms: CLIENT_ASSERTION_ALGORITHMS,
        issuer: client.clientId,
        subject: client.clientId,
        audience: this.audiences,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      const now = Math.floor(Date.now() / 1000);
      const exp = payload.exp!;
      if (exp - (typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now) > MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) return false;
      return await this.singleUse.firstUse(`client-assertion:${client.clientId}`, payload.jti!, new Date((exp + CLOCK_TOLERANCE_SECONDS) * 1000));
    } catch {
      return false;
    }
  }
}
