import { Injectable } from '@nestjs/common';
import { AccessTokensService, type ClientGrant } from '../../tokens/access-tokens.service.js';
import type { User } from '../../users/entities/user.entity.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import type { SessionDetails } from '../../sessions/sessions.service.js';
import type { RequestContext } from '../../http/request-context.js';
import { scopesOf } from '../../access/principal.js';
import type { TokenResponseDto } from '../dto/token-response.dto.js';
import { RefreshTokensService } from '../refresh-tokens/refresh-tokens.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { ClientsService } from '../clients/clients.service.js';
import { grantError } from '../oauth-error.exception.js';
import { IdTokensService } from '../openid/id-tokens.service.js';
import type { VerifiedDpopProof } from '../../dpop/dpop-proofs.service.js';

/** RFC 9449 §5: a bound token is of type DPoP; RFC 6749 §7.1 otherwise. */
const tokenTypeOf = (jkt: string | null | undefined): string => (jkt ? 'DPoP' : 'bearer');

/**
 * RFC 9449 §5: the refresh tokens of a public client (or of a first-party
 * login, which has no client credentials either) are bound to the key of the
 * proof they were issued with; a confidential client's are already bound to
 * its credentials, and each refresh may bind its access token anew.
 */
export function refreshBinding(client: OAuthClient | null, dpop: VerifiedDpopProof | null): string | null {
  return dpop && (!client || client.tokenEndpointAuthMethod === 'none') ? dpop.jkt : null;
}

/** How the session of a grant is started: for which client, scope and audience, from which browser session, and whether with a refresh token. */
export interface SessionGrant {
  client: OAuthClient | null;
  details?: SessionDetails;
  refreshToken?: boolean;
  /** A client's session never outlives the browser session it grew from. */
  expiresAt?: Date;
  /** The request's DPoP proof: binds the access token, and the refresh tokens of a public client (RFC 9449 §5). */
  dpop?: VerifiedDpopProof | null;
}

/** What a response of an existing session may differ in: a narrower scope (RFC 6749 §6), and the nonce of the code it was exchanged for (OIDC Core §3.1.2.1). */
export interface SessionResponseOptions {
  scope?: string | null;
  nonce?: string | null;
  /** The JWK thumbprint of the request's DPoP proof: the access token is bound to it (RFC 9449 §6.1, `token_type: DPoP`); null: a Bearer token. */
  jkt?: string | null;
}

/**
 * Every grant ends here: a session (the family of the tokens, listed, ended,
 * limited in lifetime), the access token signed for it, and the response of
 * RFC 6749 §5.1. One place, so every grant issues the same way.
 */
@Injectable()
export class TokenIssuer {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly idTokens: IdTokensService,
    private readonly clients: ClientsService,
  ) {}

  /** A new session and its tokens; the user may be deleted between the check and the session: then, too, no grant (`refusal`). */
  async startSession(user: User | null, request: RequestContext, grant: SessionGrant, refusal: string): Promise<TokenResponseDto> {
    const details = { clientId: grant.client?.clientId ?? null, ...grant.details, dpopJkt: refreshBinding(grant.client, grant.dpop ?? null) };
    const issued = user ? await this.refreshTokens.issue(user, request, details, { refreshToken: grant.refreshToken, expiresAt: grant.expiresAt }) : null;
    if (!user || !issued) throw grantError(refusal, grant.client);
    if (grant.client) await this.markInUse(grant.client);
    return this.forSession(user, issued.session, issued.refreshToken, { jkt: grant.dpop?.jkt });
  }

  /**
   * The tokens of a session: the access token never outlives it (`exp` and
   * `expires_in` stop at its absolute end). A client's session gets RFC 9068
   * tokens with its scope (`scope` may narrow it, RFC 6749 §6), audience and
   * how the person signed in. With `openid` granted, an id token beside it
   * (OIDC Core §3.1.3.3, and §12.2 on a refresh).
   */
  async forSession(user: User, session: Session, refreshToken: string | null, { scope = session.scope, nonce = null, jkt = null }: SessionResponseOptions = {}): Promise<TokenResponseDto> {
    const grant: ClientGrant | undefined = session.clientId
      ? { clientId: session.clientId, scope: scope ?? '', resource: session.resource, authTime: session.authTime, amr: scopesOf(session.amr) }
      : undefined;
    const { accessToken, expiresIn } = await this.accessTokens.sign(user, session, grant, jkt);
    const response: TokenResponseDto = { access_token: accessToken, token_type: tokenTypeOf(jkt), expires_in: expiresIn };
    if (refreshToken) response.refresh_token = refreshToken;
    if (grant) response.scope = grant.scope;
    if (this.idTokens.isDue(session, scope)) response.id_token = await this.idTokens.sign({ user, session, scope: scope!, accessToken, expiresIn, nonce });
    return response;
  }

  /** A client_credentials token (RFC 6749 §4.4.3: no refresh token). */
  async forClient(client: OAuthClient, scopes: string[], resource: string | null, jkt: string | null = null): Promise<TokenResponseDto> {
    await this.markInUse(client);
    const scope = scopes.join(' ');
    const { accessToken, expiresIn } = await this.accessTokens.signForClient({ clientId: client.clientId, scope, resource }, jkt);
    return { access_token: accessToken, token_type: tokenTypeOf(jkt), expires_in: expiresIn, scope };
  }

  /**
   * A client's first token: an openly registered client is in use and no
   * longer expires (REGISTRATION_TTL). Only such a client costs a write. A
   * grant that issues through forSession (the code grant) calls it itself.
   */
  async markInUse(client: OAuthClient): Promise<void> {
    if (client.unusedExpiresAt) await this.clients.markUsed(client.clientId);
  }
}
