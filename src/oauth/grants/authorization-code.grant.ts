import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import { isForeignKeyViolation } from '../../database/database-errors.js';
import { SessionsService } from '../../sessions/sessions.service.js';
import { UsersService } from '../../users/users.service.js';
import { AuthorizationCodesService, verifierMatches } from '../authorization/authorization-codes.service.js';
import type { TokenResponseDto } from '../dto/token-response.dto.js';
import { grantError } from '../oauth-error.exception.js';
import { RefreshTokensService } from '../refresh-tokens/refresh-tokens.service.js';
import { AuthorizationCodeGrantDto } from './dto/authorization-code-grant.dto.js';
import type { GrantContext, GrantHandler } from './grant-handler.js';
import { refreshBinding, TokenIssuer } from './token-issuer.service.js';

const INVALID_CODE = 'The code is invalid, expired or spent, or was issued to another client, redirect URI or code_verifier.';

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6): the code's bindings are checked
 * before it is spent (a code sent to the wrong client stays unspent for the
 * right one); then the session is created and the code spent for it in one
 * conditional UPDATE. A second redemption fails and ends the session the
 * first one got (RFC 6749 §4.1.2: "SHOULD revoke … all tokens previously
 * issued based on that authorization code"), even when both run at once.
 */
@Injectable()
export class AuthorizationCodeGrant implements GrantHandler<AuthorizationCodeGrantDto> {
  readonly grantType = 'authorization_code';
  readonly parameters = AuthorizationCodeGrantDto;
  readonly withoutClient = false;
  readonly summary = '`authorization_code`: `code`, `code_verifier` (PKCE) and `redirect_uri`, from the hosted login (GET /authorize).';

  constructor(
    private readonly codes: AuthorizationCodesService,
    private readonly sessions: SessionsService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly usersService: UsersService,
    private readonly issuer: TokenIssuer,
    private readonly events: EventEmitter2,
  ) {}

  async handle({ code: presented, code_verifier: verifier, redirect_uri: redirectUri, resource }: AuthorizationCodeGrantDto, { client, request, dpop }: GrantContext): Promise<TokenResponseDto> {
    const code = await this.codes.find(presented);
    const bound =
      code !== null &&
      code.clientId === client!.clientId &&
      (redirectUri === undefined ? client!.redirectUris.length === 1 && client!.redirectUris[0] === code.redirectUri : redirectUri === code.redirectUri) &&
      verifierMatches(verifier, code.codeChallenge) &&
      (resource === undefined || resource === code.resource);
    if (!code || !bound) throw grantError(INVALID_CODE, client);
    // RFC 9449 §10: a code bound to a key (dpop_jkt) is exchanged only with a proof of that key; it stays unspent for the right one.
    if (code.dpopJkt !== null && code.dpopJkt !== dpop?.jkt) throw grantError('The code is bound to a DPoP key (dpop_jkt): exchange it with a DPoP proof signed by that key.', client);
    const [user, browserSession] = await Promise.all([this.usersService.findById(code.userId), this.sessions.findLive(code.browserSessionId)]);
    if (!user || !browserSession) throw grantError(INVALID_CODE, client);

    // Created before the code is spent, so that a redemption losing the race finds it and ends it.
    const details = { clientId: client!.clientId, parentId: browserSession.id, scope: code.scope, resource: code.resource, amr: browserSession.amr, authTime: browserSession.authTime, dpopJkt: refreshBinding(client, dpop) };
    const session = await this.sessions.start(user, request, details, browserSession.expiresAt).catch((error: unknown) => {
      // The user was deleted meanwhile.
      if (isForeignKeyViolation(error)) throw grantError(INVALID_CODE, client);
      throw error;
    });
    const redemption = await this.codes.redeem(code, session.id);
    // A logout between the check above and the child's creation would miss the child: look again now it exists.
    if (redemption.ok && !(await this.sessions.findLive(browserSession.id))) {
      await this.sessions.endById(session.id);
      throw grantError(INVALID_CODE, client);
    }
    if (!redemption.ok) {
      await this.sessions.endById(session.id);
      if (redemption.replayOf) {
        await this.sessions.endById(redemption.replayOf);
        raiseSecurityEvent(this.events, { type: 'authorization-code.replayed', outcome: 'failure', subjectId: code.userId, request, details: { clientId: client!.clientId, sessionId: redemption.replayOf } });
      }
      throw grantError(INVALID_CODE, client);
    }
    const refreshToken = client!.grantTypes.includes('refresh_token') ? await this.refreshTokens.firstToken(session) : null;
    await this.issuer.markInUse(client!);
    return this.issuer.forSession(user, session, refreshToken, { nonce: code.nonce, jkt: dpop?.jkt });
  }
}
