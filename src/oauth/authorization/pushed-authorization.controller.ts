import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../access/decorators/public.decorator.js';
import { fieldsOf } from '../../pages/page-params.js';
import { ClientAuthenticationService } from '../client-authentication/client-authentication.service.js';
import { ClientAuthenticatedEndpoint } from '../client-authentication/client-authenticated-endpoint.decorator.js';
import { oauthError } from '../oauth-error.exception.js';
import { dpopProofOfRequest } from '../dpop-proof-of-request.js';
import { DpopProofsService } from '../../dpop/dpop-proofs.service.js';
import { AuthorizationService } from './authorization.service.js';
import { PushedAuthorizationRequestDto, PushedAuthorizationResponseDto } from './dto/pushed-authorization.dto.js';

/** The pushed authorization request endpoint (RFC 9126 §2). */
@ApiTags('auth')
@Controller('auth')
export class PushedAuthorizationController {
  constructor(
    private readonly clientAuthentication: ClientAuthenticationService,
    private readonly authorization: AuthorizationService,
    private readonly dpopProofs: DpopProofsService,
  ) {}

  @Public()
  @Post('par')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'pushedAuthorizationRequest',
    summary: 'Push an authorization request (PAR, RFC 9126)',
    description:
      'The authorization request’s parameters, sent straight to Gatehouse with client authentication as at the token endpoint, checked as ' +
      '`/authorize` checks them. The answer’s `request_uri` then goes to `GET /authorize?client_id=…&request_uri=…` (other parameters are ignored), ' +
      'once, within `expires_in` seconds. Clients registered with `require_pushed_authorization_requests`, and every client when `REQUIRE_PAR=true`, ' +
      'must use it.',
  })
  @ClientAuthenticatedEndpoint(PushedAuthorizationRequestDto, 'invalid_request (also an unknown redirect_uri, missing PKCE, a request_uri in the body), invalid_scope, invalid_target, unauthorized_client, invalid_dpop_proof')
  @ApiCreatedResponse({ type: PushedAuthorizationResponseDto, description: 'Stored: the request_uri to send the person to /authorize with' })
  async push(@Body() body: unknown, @Req() http: FastifyRequest): Promise<PushedAuthorizationResponseDto> {
    const parameters = fieldsOf(body);
    const client = await this.clientAuthentication.authenticate(http, parameters);
    if (!client) throw oauthError('invalid_client', 'The pushed authorization request endpoint needs client authentication (as at the token endpoint).');
    const dpop = await dpopProofOfRequest(this.dpopProofs, http);
    return this.authorization.push(client, parameters, dpop?.jkt ?? null);
  }
}
