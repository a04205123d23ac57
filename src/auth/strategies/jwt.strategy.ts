import { createSecretKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest as Request } from 'fastify';
import { Strategy } from 'passport-jwt';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import type { User } from '../../users/entities/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { ACCESS_TOKEN_ALGORITHM, type AccessTokenPayload } from '../tokens.service.js';

const CLOCK_TOLERANCE_SECONDS = 5;
/** Far above any token this service signs (about 400 characters): a larger one is refused unread. */
const MAX_ACCESS_TOKEN_LENGTH = 2048;

/** RFC 6750 §2.1: `Bearer` and one b64token, nothing more (passport-jwt's extractor takes the first of several). */
const BEARER_HEADER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
function boundedBearerToken(request: Request): string | null {
  const header = request.headers.authorization;
  if (!header || header.length > MAX_ACCESS_TOKEN_LENGTH + 'Bearer '.length) return null;
  return BEARER_HEADER.exec(header)?.[1] ?? null;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly accessTokenTtlSeconds: number;

  constructor(
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
    private readonly usersService: UsersService,
  ) {
    super({
      jwtFromRequest: boundedBearerToken,
      // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a PEM public
      // key and catches the failure, on every request (a fifth of the CPU of GET / in the profile).
      // jsonwebtoken 9 takes KeyObjects; @types/passport-jwt only knows string | Buffer.
      secretOrKey: createSecretKey(Buffer.from(config.jwt.secret, 'utf8')) as unknown as Buffer,
      // Pinned: `alg: none` and any other algorithm are refused before the signature is read.
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      // nbf and exp get a little slack for clocks a few seconds apart; `complete` hands validate() the header too.
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS, complete: true },
    });
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
