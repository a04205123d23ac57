import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest as Request } from 'fastify';
import { Strategy } from 'passport-jwt';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import type { User } from '../../users/entities/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { CLOCK_TOLERANCE_SECONDS } from '../jwt-options.js';
import type { AccessTokenPayload } from '../tokens.service.js';

/** The token AuthenticatedGuard found in the Authorization header, if it found a well-formed Bearer one. */
function presentedBearerToken(request: Request): string | null {
  const presented = request.presentedCredentials;
  return presented?.scheme === 'bearer' ? presented.token : null;
}

/**
 * passport-jwt's verifier (its `JwtVerifier` seam), delegating to JwtService,
 * so the key, algorithm, issuer, audience and tolerance are JwtModule's: the
 * options are written once (jwt-options.ts), for signing and verifying.
 */
function verifiedBy(jwtService: JwtService) {
  return (token: string, _key: unknown, _options: unknown, done: (error: Error | null, decoded?: unknown) => void): void => {
    let decoded: unknown;
    try {
      decoded = jwtService.verify(token);
    } catch (error) {
      return done(error as Error);
    }
    done(null, decoded);
  };
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly accessTokenTtlSeconds: number;

  constructor(
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
    jwtService: JwtService,
    private readonly usersService: UsersService,
  ) {
    // No key here: the verifier below is JwtService's, which holds it.
    super({ jwtFromRequest: presentedBearerToken, secretOrKeyProvider: (_request, _token, done) => done(null) });
    Object.assign(Strategy, { JwtVerifier: verifiedBy(jwtService) });
    this.accessTokenTtlSeconds = config.jwt.accessTokenTtlSeconds;
  }

  /**
   * Beyond what jsonwebtoken checks (signature, algorithm, iss, aud, exp and
   * nbf when present): the token must say it is a JWT (RFC 8725 §3.11), name
   * no critical extension (`crit`: none is understood here, so RFC 7515
   * §4.1.11 says reject), carry `iat` not in the future and `exp` no further
   * after it than ACCESS_TOKEN_TTL (a token this service signed never does),
   * and a well-formed subject. The user is read on every request, so a deleted
   * user's token, or a changed role, counts at once.
   */
  async validate({ header, payload }: { header: { typ?: string; crit?: unknown }; payload: Partial<AccessTokenPayload> }): Promise<User | false> {
    if (header.typ !== 'JWT' || header.crit !== undefined || !this.hasPlausibleTimes(payload)) return false;
    if (typeof payload.sub !== 'string' || !/^[1-9]\d{0,9}$/.test(payload.sub)) return false;
    return (await this.usersService.findById(Number(payload.sub))) ?? false;
  }

  private hasPlausibleTimes({ iat, exp }: Partial<AccessTokenPayload>): boolean {
    if (typeof iat !== 'number' || typeof exp !== 'number') return false;
    const now = Date.now() / 1000;
    return iat <= now + CLOCK_TOLERANCE_SECONDS && exp - iat <= this.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS;
  }
}
