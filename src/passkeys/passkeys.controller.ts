import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { Auth } from '../access/decorators/auth.decorator.js';
import { CurrentSessionId } from '../access/decorators/current-session.decorator.js';
import { CurrentUser } from '../access/decorators/current-user.decorator.js';
import { Public } from '../access/decorators/public.decorator.js';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import type { User } from '../users/entities/user.entity.js';
import { RegisterPasskeyDto, RegistrationOptionsRequestDto, RenamePasskeyDto } from './dto/passkey-requests.dto.js';
import { AuthenticationOptionsDto, PasskeyResponseDto, RegistrationOptionsDto } from './dto/passkey-responses.dto.js';
import { PasskeyLoginService, type AuthenticationOptions } from './passkey-login.service.js';
import { ALREADY_REGISTERED, LAST_PASSKEY, NO_SUCH_PASSKEY, PASSWORD_NEEDED, PasskeysService, REGISTRATION_FAILED, WRONG_PASSWORD } from './passkeys.service.js';

/**
 * Passkeys (OAUTH.md, "Passkeys (WebAuthn)"): the signed-in account adds,
 * lists, renames and removes its own; anyone may ask for sign-in options,
 * whose answer goes to the token endpoint's passkey grant (or the hosted
 * login page).
 */
@ApiTags('passkeys')
@Controller('auth/passkeys')
export class PasskeysController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly passkeyLogin: PasskeyLoginService,
  ) {}

  @Get()
  @Auth()
  @ApiOperation({ operationId: 'listPasskeys', summary: 'Your passkeys, oldest first' })
  @ApiOkResponse({ type: PasskeyResponseDto, isArray: true, description: 'Your passkeys' })
  async list(@CurrentUser() user: User): Promise<PasskeyResponseDto[]> {
    return (await this.passkeys.list(user.id)).map((passkey) => PasskeyResponseDto.from(passkey));
  }

  @Post('registration/options')
  @HttpCode(200)
  @Auth()
  @ApiOperation({
    operationId: 'passkeyRegistrationOptions',
    summary: 'Start adding a passkey: creation options for navigator.credentials.create()',
    description:
      'Within 5 minutes of signing in (the session’s `auth_time`), or with your current password in the body. A discoverable credential (resident key required), user verification preferred; your passkeys are excluded, so one authenticator is not added twice. The challenge is good for 5 minutes, once.',
  })
  @ApiOkResponse({ type: RegistrationOptionsDto, description: 'PublicKeyCredentialCreationOptionsJSON' })
  @ApiBadRequestResponse({ description: 'Invalid body' })
  @ApiForbiddenResponse({ description: PASSWORD_NEEDED })
  @ApiUnauthorizedResponse({ description: `${WRONG_PASSWORD} (Or no credentials.)` })
  @ApiTooManyRequestsResponse({ description: 'Too many failed logins (the password is throttled like a login)' })
  registrationOptions(
    @CurrentUser() user: User,
    @Body() { password }: RegistrationOptionsRequestDto,
    @Req() http: FastifyRequest,
    @CurrentRequest() request: RequestContext,
    @CurrentSessionId() sessionId?: string,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const basic = /^basic /i.test(http.headers.authorization ?? '');
    return this.passkeys.registrationOptions({ user, sessionId, basic, password, request });
  }

  @Post('registration')
  @Auth()
  @ApiOperation({ operationId: 'registerPasskey', summary: 'Add the passkey navigator.credentials.create() made' })
  @ApiCreatedResponse({ type: PasskeyResponseDto, description: 'Added: `id`, `name`, `createdAt` and how it is kept' })
  @ApiBadRequestResponse({ description: `Invalid body, or: ${REGISTRATION_FAILED}` })
  @ApiConflictResponse({ description: ALREADY_REGISTERED })
  async register(@CurrentUser() user: User, @Body() { name, response }: RegisterPasskeyDto, @CurrentRequest() request: RequestContext): Promise<PasskeyResponseDto> {
    return PasskeyResponseDto.from(await this.passkeys.register(user, name, response, request));
  }

  @Patch(':id')
  @Auth()
  @ApiOperation({ operationId: 'renamePasskey', summary: 'Rename one of your passkeys' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: PasskeyResponseDto, description: 'Renamed' })
  @ApiBadRequestResponse({ description: 'The id is not a UUID, or invalid body' })
  @ApiNotFoundResponse({ description: `${NO_SUCH_PASSKEY} (Another user’s is 404 too.)` })
  async rename(@CurrentUser() user: User, @Param('id', new ParseUUIDPipe()) id: string, @Body() { name }: RenamePasskeyDto, @CurrentRequest() request: RequestContext): Promise<PasskeyResponseDto> {
    return PasskeyResponseDto.from(await this.passkeys.rename(user.id, id, name, request));
  }

  @Delete(':id')
  @HttpCode(204)
  @Auth()
  @ApiOperation({
    operationId: 'deletePasskey',
    summary: 'Remove one of your passkeys',
    description: 'It no longer signs in. Your last passkey goes only while your account has a password (every account made with one has) or another passkey.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiBadRequestResponse({ description: 'The id is not a UUID' })
  @ApiNotFoundResponse({ description: `${NO_SUCH_PASSKEY} (Another user’s is 404 too.)` })
  @ApiConflictResponse({ description: LAST_PASSKEY })
  async remove(@CurrentUser() user: User, @Param('id', new ParseUUIDPipe()) id: string, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.passkeys.remove(user, id, request);
  }

  @Post('authentication/options')
  @HttpCode(200)
  @Public()
  @ApiOperation({
    operationId: 'passkeyAuthenticationOptions',
    summary: 'Start signing in with a passkey: request options for navigator.credentials.get()',
    description: `For a discoverable credential (no username first). Send the answer, with \`challengeId\`, to POST /auth/token (grant_type=urn:gatehouse:params:oauth:grant-type:passkey). The challenge is good for 5 minutes, once.`,
  })
  @ApiOkResponse({ type: AuthenticationOptionsDto, description: 'PublicKeyCredentialRequestOptionsJSON and challengeId' })
  @ApiTooManyRequestsResponse({ description: 'More than THROTTLE_PASSKEY_CHALLENGES challenges from this address in THROTTLE_WINDOW; Retry-After says when to try again.' })
  authenticationOptions(@CurrentRequest() request: RequestContext): Promise<AuthenticationOptions> {
    return this.passkeyLogin.options(request);
  }
}
