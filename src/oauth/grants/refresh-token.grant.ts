import { EventEmitter2 } from '@nestjs/event-emitter';
import { Injectable } from '@nestjs/common';
import { scopesOf } from '../../access/principal.js';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import { UsersService } from '../../users/users.service.js';
import type { TokenResponseDto } from '../dto/token-response.dto.js';
import { grantError, oauthError } from '../oauth-error.exception.js';
import { RefreshTokensService } from '../refresh-tokens/refresh-tokens.service.js';
import { RefreshTokenGrantDto } from './dto/refresh-token-grant.dto.js';
import type { GrantContext, GrantHandler } from './grant-handler.js';
import { TokenIssuer } from './token-issuer.service.js';

const INVALID_REFRESH_TOKEN = 'The refresh token is invalid, expired or revoked.';

/**
 * RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2): each
 * answer carries a new refresh token and spends the one presented; a spent
 * one presented again ends the session. A token is bound to the client it was
 * issued to (none, for first-party logins), and a refresh may only narrow the
 * scope of the session.
 */
@Injectable()
export class RefreshTokenGrant implements GrantHandler<RefreshTokenGrantDto> {
  readonly grantType = 'refresh_token';
  readonly parameters = RefreshTokenGrantDto;
  readonly withoutClient = true;
  readonly summary = '`refresh_token`: `refresh_token` (rotated: the answer carries the next one; a spent one presented again ends the session).';

  constructor(
    private readonly refreshTokens: RefreshTokensService,
    private readonly usersService: UsersService,
    private readonly issuer: TokenIssuer,
    private readonly events: EventEmitter2,
  ) {}

  async handle({ refresh_token: refreshToken, scope }: RefreshTokenGrantDto, { client, request, dpop }: GrantContext): Promise<TokenResponseDto> {
    const asked = scope === undefined ? undefined : scopesOf(scope);
    // RFC 9449 §5: a bound refresh token (a public client's) needs a proof of its key; it stays unspent without one.
    const keyMatches = (session: Session) => session.dpopJkt === null || session.dpopJkt === dpop?.jkt;
    const accepts = (session: Session) => (session.clientId ?? null) === (client?.clientId ?? null) && (!asked || covers(session, asked)) && keyMatches(session);
    let wrongKey = false;
    const rotation = await this.refreshTokens.rotate(refreshToken, request, (session) => {
      wrongKey = !keyMatches(session);
      return accepts(session);
    });
    if (!rotation.ok && rotation.reason === 'not-accepted' && wrongKey) throw grantError('The refresh token is bound to a DPoP key: refresh with a DPoP proof signed by that key.', client);
    if (!rotation.ok && rotation.reason === 'reused') {
      raiseSecurityEvent(this.events, { type: 'refresh-token.reused', outcome: 'failure', subjectId: rotation.userId, request, details: { sessionId: rotation.sessionId } });
    }
    if (!rotation.ok && rotation.reason === 'not-accepted' && asked && client) throw oauthError('invalid_scope', 'A refresh may only narrow the scope of the session, or the token is not this client’s.');
    const user = rotation.ok ? await this.usersService.findById(rotation.userId) : null;
    if (!rotation.ok || !user) throw grantError(INVALID_REFRESH_TOKEN, client);
    // OIDC Core §12.2: a session granted `openid` gets a new id token, without a nonce.
    return this.issuer.forSession(user, rotation.session, rotation.next, { scope: asked ? asked.join(' ') : rotation.session.scope, jkt: dpop?.jkt });
  }
}

/** RFC 6749 §6: the scope asked for "MUST NOT include any scope not originally granted". */
function covers(session: Session, asked: string[]): boolean {
  const granted = new Set(scopesOf(session.scope));
  return asked.every((scope) => granted.has(scope));
}
