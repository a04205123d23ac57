import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import type { User } from '../users/entities/user.entity.js';
import { AuthService } from './auth.service.js';
import { IntrospectionResponseDto } from './dto/introspection-response.dto.js';
import { IntrospectionService } from './introspection.service.js';
import { Auth } from './decorators/auth.decorator.js';
import { CurrentUser } from './decorators/current-user.decorator.js';
import { Public } from './decorators/public.decorator.js';
import { OAuthRequestBody } from './decorators/oauth-request-body.decorator.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { RegisterDto } from './dto/register.dto.js';
import { RevokeRequestDto } from './dto/revoke-request.dto.js';
import { TokenRequestDto } from './dto/token-request.dto.js';
import { MfaRequiredDto, OAuthErrorDto, TokenResponseDto } from './dto/token-response.dto.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly authService: AuthService,
    private readonly introspection: IntrospectionService,
  ) {}

  @Public()
  @Post()
  @ApiOperation({
    operationId: 'register',
    summary: 'Register an account (role user)',
    description:
      'An `email` is stored unverified and mailed a link and a code. The answer never tells whether another account has the address: ' +
      'one verified elsewhere is stored all the same, can never be verified here, and its owner is mailed a notice instead.',
  })
  @ApiCreatedResponse({ type: UserResponseDto, description: 'The new account' })
  @ApiBadRequestResponse({ description: 'Invalid body: the username or password breaks the rules (the message says which rule: too short, contains the username, too common, breached), or an unknown field.' })
  @ApiConflictResponse({ description: 'Username is already taken (case-insensitively). Never for an e-mail address.' })
  @ApiTooManyRequestsResponse({ description: 'Too many registrations from this address, or too many in progress from it (Retry-After says when to retry).' })
  @ApiServiceUnavailableResponse({ description: 'Too many password checks are waiting for the hashing pool (Retry-After says when to retry); nothing was checked or counted.' })
  async register(@Body() body: RegisterDto, @CurrentRequest() request: RequestContext): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.authService.register(body, request));
  }

  @Public()
  @Post('token')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'token',
    summary: 'OAuth2 token endpoint (password, refresh_token and two-factor grants)',
    description:
      'Form-encoded or JSON. `grant_type=password` (or omitted) with username and password, or `grant_type=refresh_token` ' +
      'with refresh_token: each answer carries a new refresh token and spends the one presented; presenting a spent one ' +
      'again revokes that login’s whole chain. A client Authorization header, as Swagger UI sends, is ignored.\n\n' +
      'Two-factor: for an account with TOTP on, the password grant answers 403 `mfa_required` with an `mfa_token`; then ' +
      '`grant_type=urn:gatehouse:params:oauth:grant-type:mfa-otp` with `mfa_token` and `otp` (the 6-digit code) or `recovery_code` ' +
      'issues the tokens. Swagger UI’s Authorize form cannot do this second step: use Try it out here twice, then paste the ' +
      'access token into Authorize → bearer.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto, description: 'An access token and a new refresh token' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'invalid_request or unsupported_grant_type' })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_grant: bad credentials, an unknown, expired, spent or revoked refresh token, or a login past SESSION_MAX_LIFETIME; a wrong code or a spent mfa_token' })
  @ApiForbiddenResponse({ type: MfaRequiredDto, description: 'mfa_required: the password was right and the account has two-factor on; no tokens yet, an mfa_token for the second step' })
  @ApiTooManyRequestsResponse({
    description: 'Too many failed logins for this username from this address, for this address, or for this account; or too many logins in progress from this address (Retry-After says when to retry).',
  })
  @ApiServiceUnavailableResponse({ description: 'Too many password checks are waiting for the hashing pool (Retry-After says when to retry); nothing was checked or counted.' })
  token(@OAuthRequestBody(TokenRequestDto) body: TokenRequestDto, @CurrentRequest() request: RequestContext): Promise<TokenResponseDto> {
    return this.authService.grantToken(body, request);
  }

  @Public()
  @Post('revoke')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'revoke',
    summary: 'Revoke a refresh or access token (RFC 7009): log out',
    description:
      'A refresh token: ends its login (every token of that session). An access token: refused by its jti, on every ' +
      'instance and in introspection, until it expires. 200 also for an unknown token.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: RevokeRequestDto })
  @ApiOkResponse({ description: 'Revoked, or unknown' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'invalid_request: token missing' })
  async revoke(@OAuthRequestBody(RevokeRequestDto) body: RevokeRequestDto, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.authService.revoke(body.token, body.token_type_hint, request);
  }

  @Post('introspect')
  @HttpCode(200)
  @Auth('admin', 'service')
  @ApiOperation({
    operationId: 'introspect',
    summary: 'Is this token active? (RFC 7662)',
    description:
      'For resource servers (an account with role service) and admins. An access token is active while its signature, key and ' +
      'claims verify, it is not revoked, its user exists and has not changed password since; the answer carries the current ' +
      'role. A refresh token is active while its login is; only exp and sub are revealed.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: RevokeRequestDto })
  @ApiOkResponse({ type: IntrospectionResponseDto, description: '{active: false}, or active with the claims' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'invalid_request: token missing' })
  introspect(@OAuthRequestBody(RevokeRequestDto) body: RevokeRequestDto): Promise<IntrospectionResponseDto> {
    return this.introspection.introspect(body.token, body.token_type_hint);
  }

  @Put('password')
  @HttpCode(204)
  @Auth()
  @ApiOperation({
    operationId: 'changePassword',
    summary: 'Change the password; every session of the account ends',
    description: 'From the 204 on, nothing obtained with the old password works on any instance: no refresh token, no Basic credential, no access token issued before.',
  })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiBadRequestResponse({ description: 'The new password breaks the rules (the message says which rule: too short, contains the username, too common, breached), or the body is invalid' })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong current passwords: counted as failed logins (Retry-After says when to retry).' })
  @ApiServiceUnavailableResponse({ description: 'Too many password checks are waiting for the hashing pool (Retry-After says when to retry); nothing was checked or counted.' })
  async changePassword(@CurrentUser() user: User, @Body() body: ChangePasswordDto, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.authService.changePassword(user, body, request);
  }

  @Get('me')
  @Auth()
  @ApiOperation({ operationId: 'me', summary: 'The signed-in account' })
  @ApiOkResponse({ type: UserResponseDto, description: 'The account' })
  me(@CurrentUser() user: User): UserResponseDto {
    return UserResponseDto.from(user);
  }
}
