import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DpopProofsService } from '../dpop/dpop-proofs.service.js';
import { Auth } from '../access/decorators/auth.decorator.js';
import { Public } from '../access/decorators/public.decorator.js';
import { ClientAuthentication } from '../access/client-authenticator.js';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import { RevokeRequestDto } from './dto/revoke-request.dto.js';
import { MfaRequiredDto, OAuthErrorDto, oauthErrorExample, TokenResponseDto } from './dto/token-response.dto.js';
import { MFA_GRANT_TYPE } from './grants/mfa.grant.js';
import { GrantParametersDto } from './grants/dto/grant-parameters.dto.js';
import { TokenEndpointService } from './grants/token-endpoint.service.js';
import { IntrospectionResponseDto } from './introspection/dto/introspection-response.dto.js';
import { IntrospectionService } from './introspection/introspection.service.js';
import { OAuthRequestBody } from './oauth-request-body.decorator.js';
import { RevocationService } from './revocation/revocation.service.js';

/** The summary Swagger UI shows; the list of grants and their parameters are added from the registered handlers (OpenApiGrants). */
export const TOKEN_OPERATION_ID = 'token';

/** The token endpoint (RFC 6749 §3.2), revocation (RFC 7009) and introspection (RFC 7662). */
@ApiTags('auth')
@Controller('auth')
export class TokenEndpointController {
  constructor(
    private readonly tokenEndpoint: TokenEndpointService,
    private readonly introspection: IntrospectionService,
    private readonly revocation: RevocationService,
    private readonly dpopProofs: DpopProofsService,
  ) {}

  @Public()
  @Post('token')
  @HttpCode(200)
  @ApiOperation({
    operationId: TOKEN_OPERATION_ID,
    summary: 'OAuth2 token endpoint (every grant)',
    description:
      'Form-encoded or JSON. Client authentication: `client_secret_basic` (Basic with the form-urlencoded id and secret), `client_secret_post` ' +
      '(`client_id` and `client_secret` in the body), `private_key_jwt` (`client_assertion_type` jwt-bearer and a signed `client_assertion`, RFC 7523) ' +
      'or `none` (a public client: `client_id` only). Requests with no client are first-party: ' +
      'the password grant, its two-factor step and refreshing their sessions.\n\n' +
      'Two-factor: for an account with TOTP on, the password grant answers 403 `mfa_required` with an `mfa_token`; then ' +
      '`grant_type=urn:gatehouse:params:oauth:grant-type:mfa-otp` with `mfa_token` and `otp` (or `recovery_code`) issues the tokens. ' +
      'Swagger UI’s password form cannot do this second step: use the authorization code flow in Authorize, or Try it out here twice.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: GrantParametersDto })
  @ApiOkResponse({ type: TokenResponseDto, description: 'An access token, and a refresh token where the grant gives one' })
  @ApiBadRequestResponse({
    type: OAuthErrorDto,
    description: 'invalid_request, unsupported_grant_type, unauthorized_client, invalid_scope, invalid_target; invalid_grant for a client',
    example: oauthErrorExample(400, 'unsupported_grant_type', 'grant_type "implicit" is not supported.'),
  })
  @ApiUnauthorizedResponse({
    type: OAuthErrorDto,
    example: oauthErrorExample(401, 'invalid_grant', 'Invalid username or password.'),
    description:
      'invalid_client: bad client credentials (WWW-Authenticate: Basic when Basic was sent). invalid_grant without a client (first-party): bad credentials, an unknown, expired, spent or revoked refresh token, a login past SESSION_MAX_LIFETIME, a wrong code or a spent mfa_token',
  })
  @ApiForbiddenResponse({
    type: MfaRequiredDto,
    description: 'mfa_required: the password was right and the account has two-factor on; no tokens yet, an mfa_token for the second step',
    example: {
      ...oauthErrorExample(403, 'mfa_required', `Two-factor authentication is on: send the mfa_token with a code (grant_type=${MFA_GRANT_TYPE}).`),
      mfa_token: 'bWZhLXRva2VuLWV4YW1wbGUtdmFsdWUtb2YtNDMtY2hhcnM',
      mfa_token_expires_in: 300,
    },
  })
  @ApiTooManyRequestsResponse({
    description: 'Too many failed logins for this username from this address, for this address, or for this account; or too many logins in progress from this address (Retry-After says when to retry).',
  })
  @ApiServiceUnavailableResponse({ description: 'Too many password checks are waiting for the hashing pool (Retry-After says when to retry); nothing was checked or counted.' })
  token(@Body() body: unknown, @Req() http: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<TokenResponseDto> {
    // RFC 9449 §8.2: with DPOP_NONCE, every answer hands the client the nonce its next proof carries.
    reply.headers(this.dpopProofs.nonceHeader());
    const parameters = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    return this.tokenEndpoint.grant(parameters, http, request);
  }

  @Public()
  @ClientAuthentication()
  @Post('revoke')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'revoke',
    summary: 'Revoke a refresh or access token (RFC 7009): log out',
    description:
      'A refresh token: ends its login (every token of that session). An access token: refused by its jti, on every ' +
      'instance and in introspection, until it expires. 200 also for an unknown token. With client authentication, only ' +
      'that client’s tokens are revoked; without, only first-party ones (issued to no client).',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: RevokeRequestDto })
  @ApiOkResponse({ description: 'Revoked, or unknown' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'invalid_request: token missing', example: oauthErrorExample(400, 'invalid_request', 'token is required.') })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_client: bad client credentials', example: oauthErrorExample(401, 'invalid_client', 'Client authentication failed.') })
  async revoke(@OAuthRequestBody(RevokeRequestDto) body: RevokeRequestDto, @Req() http: FastifyRequest, @CurrentRequest() request: RequestContext): Promise<void> {
    const clientId = http.principal?.kind === 'client' ? http.principal.clientId : null;
    await this.revocation.revoke(body.token, body.token_type_hint, clientId, request);
  }

  @Post('introspect')
  @HttpCode(200)
  @Auth('admin', 'service')
  @ClientAuthentication({ confidential: true })
  @ApiOperation({
    operationId: 'introspect',
    summary: 'Is this token active? (RFC 7662)',
    description:
      'For resource servers: a confidential client with its credentials (client_secret_basic or client_secret_post), or a Bearer token of its own ' +
      '(client_credentials); also admins, and accounts with the legacy role service. An access token is active while its signature, key and ' +
      'claims verify, it is not revoked, its session has not ended, its user exists and has not changed password since (the answer carries the ' +
      'current role), and its client still exists. A refresh token is active while its login is; only exp and sub are revealed.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: RevokeRequestDto })
  @ApiOkResponse({ type: IntrospectionResponseDto, description: '{active: false}, or active with the claims' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'invalid_request: token missing', example: oauthErrorExample(400, 'invalid_request', 'token is required.') })
  introspect(@OAuthRequestBody(RevokeRequestDto) body: RevokeRequestDto): Promise<IntrospectionResponseDto> {
    return this.introspection.introspect(body.token, body.token_type_hint);
  }
}
