import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RequestContext } from '../../http/request-context.js';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import { AccessTokensService } from '../../tokens/access-tokens.service.js';
import { RefreshTokensService } from '../refresh-tokens/refresh-tokens.service.js';

/**
 * POST /auth/revoke (RFC 7009): a refresh token ends the login it belongs to,
 * its access tokens included; an access token is refused by its jti until it
 * expires. The hint only says which to try first; an unknown token is no
 * error. RFC 7009 §2.1: a client revokes only tokens issued to it; a request
 * without a client only first-party tokens (issued to no client). Anything
 * else is answered like an unknown token: it says nothing of whose it is.
 */
@Injectable()
export class RevocationService {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly events: EventEmitter2,
  ) {}

  async revoke(token: string, hint: string | undefined, clientId: string | null, request: RequestContext): Promise<void> {
    const revokedAccessToken = async () => {
      const claims = await this.accessTokens.verify(token);
      if (!claims || (claims.client_id ?? null) !== clientId) return false;
      await this.accessTokens.revoke(token);
      const subjectId = claims.cv === undefined ? null : Number(claims.sub);
      raiseSecurityEvent(this.events, { type: 'token.revoked', subjectId, request, details: { tokenType: 'access_token', jti: claims.jti, clientId } });
      return true;
    };
    if (hint === 'access_token' && (await revokedAccessToken())) return;
    const session = await this.refreshTokens.revoke(token, (owner) => (owner.clientId ?? null) === clientId);
    if (session) raiseSecurityEvent(this.events, { type: 'token.revoked', subjectId: session.userId, request, details: { tokenType: 'refresh_token', sessionId: session.sessionId, clientId } });
    if (hint !== 'access_token' && token.includes('.')) await revokedAccessToken();
  }
}
