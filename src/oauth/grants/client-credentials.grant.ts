import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import type { TokenResponseDto } from '../dto/token-response.dto.js';
import { ClientCredentialsGrantDto } from './dto/client-credentials-grant.dto.js';
import type { GrantContext, GrantHandler } from './grant-handler.js';
import { grantedResource, grantedScopes } from './scopes.js';
import { TokenIssuer } from './token-issuer.service.js';

/**
 * RFC 6749 §4.4: a confidential client on its own behalf (a resource server
 * introspecting, a job calling an API). The token's `sub` is the client_id
 * (RFC 9068 §2.2); there is no person, no session and no refresh token.
 */
@Injectable()
export class ClientCredentialsGrant implements GrantHandler<ClientCredentialsGrantDto> {
  readonly grantType = 'client_credentials';
  readonly parameters = ClientCredentialsGrantDto;
  readonly withoutClient = false;
  readonly summary = '`client_credentials`: a confidential client’s own token (client authentication; `scope`, `resource` optional).';

  constructor(
    private readonly issuer: TokenIssuer,
    private readonly events: EventEmitter2,
  ) {}

  async handle({ scope, resource }: ClientCredentialsGrantDto, { client, request, dpop }: GrantContext): Promise<TokenResponseDto> {
    const scopes = grantedScopes(client!, scope, false);
    const audience = grantedResource(client!, resource);
    const response = await this.issuer.forClient(client!, scopes, audience, dpop?.jkt ?? null);
    raiseSecurityEvent(this.events, { type: 'token.issued', request, details: { clientId: client!.clientId, grantType: this.grantType, scope: response.scope ?? null } });
    return response;
  }
}
