import { BadRequestException, Body, ConflictException, Controller, Delete, HttpCode, Post, UnauthorizedException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ALREADY_ON, CONFIRMATION_ATTEMPTS, MfaService } from '../mfa/mfa.service.js';
import type { User } from '../users/entities/user.entity.js';
import { LoginService } from '../login/login.service.js';
import { Auth } from '../access/decorators/auth.decorator.js';
import { CurrentUser } from '../access/decorators/current-user.decorator.js';
import { EnrolTotpDto, RecoveryCodesDto, TotpCodeDto, TotpEnrolmentDto } from './dto/two-factor.dto.js';

const WRONG_CODE = 'The code is wrong, expired or already used.';
const NOT_ON = 'Two-factor authentication is not on.';
const DISCARDED = `That was the last of ${CONFIRMATION_ATTEMPTS} tries: the enrolment is discarded; start again with POST /auth/mfa/totp.`;
const NO_ENROLMENT = `No enrolment is under way (none was started, or it was discarded after ${CONFIRMATION_ATTEMPTS} wrong codes): start one with POST /auth/mfa/totp.`;

/**
 * TOTP two-factor for the signed-in account: enrol, confirm with a first code
 * (which turns it on), turn it off with a code. The login with it is the
 * token endpoint's MFA grant. Here rather than in mfa/, which auth/ depends on.
 */
@ApiTags('two-factor')
@Controller('auth/mfa/totp')
@Auth()
export class TwoFactorController {
  constructor(
    private readonly login: LoginService,
    private readonly mfa: MfaService,
    private readonly events: EventEmitter2,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'enrolTotp',
    summary: 'Start turning on two-factor: a new TOTP secret, as text, otpauth:// URI and QR code',
    description: 'Scan the QR code (or type the secret) in an authenticator app, then confirm with a code. Until then nothing changes; a new enrolment replaces one not confirmed.',
  })
  @ApiCreatedResponse({ type: TotpEnrolmentDto, description: 'The secret to put in the authenticator app' })
  @ApiBadRequestResponse({ description: 'Invalid body' })
  @ApiConflictResponse({ description: ALREADY_ON })
  async enrol(@CurrentUser() user: User, @Body() { password }: EnrolTotpDto, @CurrentRequest() request: RequestContext): Promise<TotpEnrolmentDto> {
    // A stolen access token alone must not be able to tie the account to an attacker's authenticator.
    if (!(await this.login.authenticate(user.username, password, request, 'current-password'))) throw new UnauthorizedException('The password is wrong.');
    return this.mfa.beginEnrolment(user);
  }

  @Post('confirm')
  @HttpCode(200)
  @ApiOperation({ operationId: 'confirmTotp', summary: 'Turn on two-factor with a first code; get the recovery codes (shown once)' })
  @ApiOkResponse({ type: RecoveryCodesDto, description: 'Two-factor is on: logins now need a code, and HTTP Basic is refused' })
  @ApiBadRequestResponse({ description: `${WRONG_CODE} Or no enrolment is under way: after ${CONFIRMATION_ATTEMPTS} wrong codes it is discarded and must be started again.` })
  @ApiTooManyRequestsResponse({ description: 'Too many failed logins (codes are throttled like passwords)' })
  @ApiConflictResponse({ description: ALREADY_ON })
  async confirm(@CurrentUser() user: User, @Body() { code }: TotpCodeDto, @CurrentRequest() request: RequestContext): Promise<RecoveryCodesDto> {
    const confirmation = await this.login.confirmTotp(user, code.trim(), request);
    if (confirmation.outcome === 'confirmed') return { recoveryCodes: confirmation.recoveryCodes };
    if (confirmation.outcome === 'wrong-code') throw new BadRequestException(WRONG_CODE);
    if (confirmation.outcome === 'discarded') throw new BadRequestException(`${WRONG_CODE} ${DISCARDED}`);
    if (user.totpEnabled) throw new ConflictException(ALREADY_ON);
    throw new BadRequestException(NO_ENROLMENT);
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'regenerateRecoveryCodes',
    summary: 'New recovery codes (shown once), with a code or a recovery code; the old ones stop working',
    description: 'For when the codes were used up, lost or seen by someone else. The account is mailed a security notice.',
  })
  @ApiOkResponse({ type: RecoveryCodesDto, description: 'The new recovery codes, shown this once' })
  @ApiBadRequestResponse({ description: 'Invalid body' })
  @ApiUnauthorizedResponse({ description: WRONG_CODE })
  @ApiTooManyRequestsResponse({ description: 'Too many failed logins (codes are throttled like passwords)' })
  @ApiConflictResponse({ description: NOT_ON })
  async regenerateRecoveryCodes(@CurrentUser() user: User, @Body() { code }: TotpCodeDto, @CurrentRequest() request: RequestContext): Promise<RecoveryCodesDto> {
    if (!user.totpEnabled) throw new ConflictException(NOT_ON);
    // A stolen access token alone must not be able to swap the codes that would let the owner back in.
    if (!(await this.login.verifySecondFactor(user, code.trim(), request, false))) throw new UnauthorizedException(WRONG_CODE);
    const recoveryCodes = await this.mfa.regenerateRecoveryCodes(user.id);
    raiseSecurityEvent(this.events, { type: 'mfa.recovery-codes-regenerated', actorId: user.id, subjectId: user.id, request });
    return { recoveryCodes };
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ operationId: 'disableTotp', summary: 'Turn off two-factor, with a code or a recovery code' })
  @ApiNoContentResponse({ description: 'Off: the secret and the recovery codes are deleted' })
  @ApiBadRequestResponse({ description: 'Invalid body' })
  @ApiConflictResponse({ description: NOT_ON })
  async disable(@CurrentUser() user: User, @Body() { code }: TotpCodeDto, @CurrentRequest() request: RequestContext): Promise<void> {
    if (!user.totpEnabled) throw new ConflictException(NOT_ON);
    if (!(await this.login.verifySecondFactor(user, code.trim(), request, false))) throw new UnauthorizedException(WRONG_CODE);
    await this.mfa.disable(user.id);
    raiseSecurityEvent(this.events, { type: 'mfa.disabled', actorId: user.id, subjectId: user.id, request, details: { factor: 'totp' } });
  }
}
