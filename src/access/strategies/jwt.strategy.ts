import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest as Request } from 'fastify';
import { Strategy } from 'passport-jwt';
import { AccessTokensService, type AccessTokenClaims } from '../../tokens/access-tokens.service.js';
import { scopesOf, type Principal } from '../principal.js';
import { UsersService } from '../../users/users.service.js';
import { SessionsService } from '../../sessions/sessions.service.js';
import { DpopProofsService } from '../../dpop/dpop-proofs.service.js';
import { checkSenderConstraint } from './sender-constraint.js';

/** The token AuthenticatedGuard found in the Authorization header, if it found a well-formed Bearer or DPoP one. */
function presentedBearerToken(request: Request): string | null {
  const presented = request.presentedCredentials;
  return presented?.scheme === 'bearer' || presented?.scheme === 'dpop' ? presented.token : null;
}

/**
 * passport-jwt's verifier (its `JwtVerifier` seam), delegating to
 * AccessTokensService: the key set, the algorithm pinned per key, issuer,
 * audience and lifetime are checked there, in one place, with a cache of
 * tokens already verified.
 */
function verifiedBy(accessTokens: AccessTokensService) {
  return (token: string, _key: unknown, _options: unknown, done: (error: Error | null, claims?: AccessTokenClaims) => void): void => {
    const known = accessTokens.alreadyVerified(token);
    if (known) return done(null, known);
    accessTokens.verify(token).then(
      (claims) => (claims ? done(null, claims) : done(new Error('invalid access token'))),
      (error: Error) => done(error),
    );
  };
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly usersService: UsersService,
    private readonly sessions: SessionsService,
    private readonly dpopProofs: DpopProofsService,
  ) {
    // No key here: the verifier below is AccessTokensService's, which holds the key set.
    super({ jwtFromRequest: presentedBearerToken, secretOrKeyProvider: (_request, _token, done) => done(null), passReqToCallback: true });
    Object.assign(Strategy, { JwtVerifier: verifiedBy(accessTokens) });
  }

  /**
   * After the signature and claims: the token is for this API (its `aud`),
   * it is not revoked (nor its client deleted), nor is the session it was
   * issued in ended; for a person, the user still exists (read on every
   * request, from a cache that every change clears, so a deletion or a role
   * change counts at once) and the password has not changed since it was
   * issued. The session stays in the principal: GET /auth/sessions marks it.
   * A DPoP-bound token needs its proof (checkSenderConstraint, RFC 9449 §7).
   */
  async validate(request: Request, claims: AccessTokenClaims): Promise<Principal | false> {
    if (!this.accessTokens.isForThisApi(claims) || this.accessTokens.isRefused(claims) || (claims.sid && this.sessions.isEnded(claims.sid))) return false;
    if (claims.cnf !== undefined || request.presentedCredentials?.scheme === 'dpop') await checkSenderConstraint(this.dpopProofs, request, claims);
    const scopes = claims.client_id === undefined ? undefined : scopesOf(claims.scope);
    if (claims.cv === undefined) return { kind: 'client', clientId: claims.client_id!, scopes: scopes! };
    const user = await this.usersService.findById(Number(claims.sub));
    if (!user || user.credentialsVersion !== claims.cv) return false;
    return { kind: 'person', user, sessionId: claims.sid, clientId: claims.client_id, scopes };
  }
}
