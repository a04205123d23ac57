import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { AccessTokensService } from '../../tokens/access-tokens.service.js';
import { UsersService } from '../../users/users.service.js';
import { SessionsService } from '../../sessions/sessions.service.js';
import type { IntrospectionResponseDto } from './dto/introspection-response.dto.js';
import { RefreshTokensService } from '../refresh-tokens/refresh-tokens.service.js';

const INACTIVE: IntrospectionResponseDto = { active: false };

/**
 * RFC 7662: is this token good right now, by the database's word? An access
 * token is active when its signature, key and claims verify, its key is not
 * revoked in the database, it is not
 * revoked, its session has not ended, its user exists and has not changed password since; the answer
 * carries the user's current role, not the one in the claim. A refresh
 * token: when its session is live; it reveals no more than exp and sub.
 */
@Injectable()
export class IntrospectionService {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly usersService: UsersService,
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  async introspect(token: string, hint?: string): Promise<IntrospectionResponseDto> {
    if (hint === 'refresh_token') return (await this.asRefreshToken(token)) ?? (await this.asAccessToken(token)) ?? INACTIVE;
    return (await this.asAccessToken(token)) ?? (await this.asRefreshToken(token)) ?? INACTIVE;
  }

  private async asAccessToken(token: string): Promise<IntrospectionResponseDto | null> {
    const claims = await this.accessTokens.verify(token);
    if (!claims) return null;
    // The key, like the jti, by the database's word: a key revoked on an instance that could not tell this one (no Redis) ends its tokens here too.
    if (!(await this.accessTokens.hasLiveKeyInDatabase(token))) return INACTIVE;
    if (await this.accessTokens.isRefusedInDatabase(claims)) return INACTIVE;
    if (claims.sid && (await this.sessions.isEndedInDatabase(claims.sid))) return INACTIVE;
    const { exp, iat, iss, aud, jti, sub, client_id, scope, cnf } = claims;
    // RFC 9449 §6.2: a DPoP-bound token says so (token_type DPoP) and names its key (cnf.jkt), for the resource server to check the proof against.
    const binding = cnf ? { token_type: 'DPoP' as const, cnf: { jkt: cnf.jkt } } : { token_type: 'access_token' as const };
    // A client_credentials token: the client, no person (RFC 7662 §2.2 `client_id`, `scope`).
    if (claims.cv === undefined) return { active: true, sub, client_id, scope, exp, iat, iss, aud, jti, ...binding };
    // Straight from the database, not the cache: this is the current truth a resource server asks for.
    const user = await this.usersService.findFreshById(Number(claims.sub));
    if (!user || user.credentialsVersion !== claims.cv) return INACTIVE;
    return { active: true, sub, username: user.username, role: user.role, client_id, scope, exp, iat, iss, aud, jti, ...binding };
  }

  private async asRefreshToken(token: string): Promise<IntrospectionResponseDto | null> {
    const state = await this.refreshTokens.inspect(token);
    if (!state) return null;
    if (!state.active) return INACTIVE;
    return { active: true, token_type: 'refresh_token', sub: String(state.userId), exp: Math.floor(state.expiresAt.getTime() / 1000), iss: this.config.jwt.issuer };
  }
}
