import type { Type } from '@nestjs/common';
import type { RequestContext } from '../../http/request-context.js';
import type { TokenResponseDto } from '../dto/token-response.dto.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import type { VerifiedDpopProof } from '../../dpop/dpop-proofs.service.js';

/** The providers of every grant, collected by OAuthModule; the token endpoint dispatches on their `grantType`. */
export const GRANT_HANDLERS = Symbol('GRANT_HANDLERS');

/** What a grant knows of the request once the token endpoint has dispatched it. */
export interface GrantContext {
  /** The authenticated client (RFC 6749 §2.3), or null: a first-party request without one. */
  client: OAuthClient | null;
  request: RequestContext;
  /** The request's valid DPoP proof (RFC 9449 §5): the access token issued is bound to its key (`cnf.jkt`); null: a Bearer token. */
  dpop: VerifiedDpopProof | null;
}

/**
 * One grant type of the token endpoint (RFC 6749 §4, §6, and extension grants
 * §4.5): its parameters (a DTO validated after dispatch, unknown parameters
 * ignored, §3.2), whether a request without a client may use it, and what it
 * issues. A new grant is one class implementing this, listed in OAuthModule;
 * the list of grants in discovery and Swagger follows from the registered ones.
 */
export interface GrantHandler<Parameters extends object = object> {
  readonly grantType: string;
  readonly parameters: Type<Parameters>;
  /** True for the first-party grants (password, its MFA step, and refreshing their sessions), which need no registered client. */
  readonly withoutClient: boolean;
  /** One line for Swagger UI's description of the token endpoint. */
  readonly summary: string;
  /** False when configuration turns the grant off (PASSWORD_GRANT=false): then it is neither served nor advertised. Without it, always on. */
  isEnabled?(): boolean;
  handle(parameters: Parameters, context: GrantContext): Promise<TokenResponseDto>;
}
