import { Inject, Injectable } from '@nestjs/common';
import { DpopProofsService, type DpopRequest } from '../../dpop/dpop-proofs.service.js';
import type { ClientAuthenticationRequest } from '../client-authentication/client-authentication-method.js';
import type { RequestContext } from '../../http/request-context.js';
import { ClientAuthenticationService } from '../client-authentication/client-authentication.service.js';
import { dpopProofOfRequest } from '../dpop-proof-of-request.js';
import type { TokenResponseDto } from '../dto/token-response.dto.js';
import { oauthError } from '../oauth-error.exception.js';
import { validateOAuthParameters } from '../oauth-request-body.decorator.js';
import { GRANT_HANDLERS, type GrantHandler } from './grant-handler.js';
import { MFA_GRANT_TYPE } from './mfa.grant.js';
import { PASSKEY_GRANT_TYPE } from './passkey.grant.js';

/**
 * The grant a client must be registered for to use a grant type: the MFA step
 * is the second half of the password grant, and the passkey grant is the
 * first-party sign-in beside it (an admin allows both for a client at once).
 */
const REGISTERED_AS: Record<string, string> = { [MFA_GRANT_TYPE]: 'password', [PASSKEY_GRANT_TYPE]: 'password' };

/**
 * POST /auth/token (RFC 6749 §3.2): one endpoint, one dispatch on
 * `grant_type` over the registered grant handlers. In order: the grant
 * exists (unsupported_grant_type), the client authenticates if it presents
 * itself (invalid_client) and is registered for the grant
 * (unauthorized_client), a DPoP proof, when sent, is valid (and is sent when
 * the client registered `dpop_bound_access_tokens`, RFC 9449 §5.2), then the
 * grant's own parameters are validated (invalid_request) and it runs.
 */
@Injectable()
export class TokenEndpointService {
  private readonly handlers: Map<string, GrantHandler>;

  constructor(
    @Inject(GRANT_HANDLERS) handlers: GrantHandler[],
    private readonly clientAuthentication: ClientAuthenticationService,
    private readonly dpopProofs: DpopProofsService,
  ) {
    this.handlers = new Map(handlers.filter((handler) => handler.isEnabled?.() ?? true).map((handler) => [handler.grantType, handler]));
  }

  /** The grant types served, for discovery and Swagger UI. */
  grantTypes(): string[] {
    return [...this.handlers.keys()];
  }

  /** The enabled handlers, for Swagger UI's description of the endpoint. */
  enabledHandlers(): GrantHandler[] {
    return [...this.handlers.values()];
  }

  async grant(body: Record<string, unknown>, http: ClientAuthenticationRequest & DpopRequest, request: RequestContext): Promise<TokenResponseDto> {
    const grantType = body.grant_type ?? 'password';
    if (typeof grantType !== 'string') throw oauthError('invalid_request', 'grant_type must be a string');
    const handler = this.handlers.get(grantType);
    if (!handler) throw oauthError('unsupported_grant_type', `The grant type "${grantType}" is not supported; use one of: ${this.grantTypes().join(', ')}.`);
    const client = await this.clientAuthentication.authenticate(http, body);
    if (!client && !handler.withoutClient) throw oauthError('invalid_client', `The ${grantType} grant needs client authentication.`);
    if (client && !(client.grantTypes as string[]).includes(REGISTERED_AS[grantType] ?? grantType)) {
      throw oauthError('unauthorized_client', `The client is not registered for the ${grantType} grant.`);
    }
    const dpop = await dpopProofOfRequest(this.dpopProofs, http);
    if (!dpop && client?.dpopBoundAccessTokens) throw oauthError('invalid_dpop_proof', 'This client is registered with dpop_bound_access_tokens: send a DPoP proof (RFC 9449 §5.2).');
    const parameters = await validateOAuthParameters(handler.parameters, body);
    return handler.handle(parameters, { client, request, dpop });
  }
}
