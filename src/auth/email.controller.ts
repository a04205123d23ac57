import { Body, Controller, HttpCode, Post, Put, UnauthorizedException, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { User } from '../users/entities/user.entity.js';
import { LoginService } from '../login/login.service.js';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import { Auth } from '../access/decorators/auth.decorator.js';
import { CurrentUser } from '../access/decorators/current-user.decorator.js';
import { Public } from '../access/decorators/public.decorator.js';
import { AcceptedDto, ChangeEmailDto, VerifyEmailDto } from './dto/account-email.dto.js';
import { ALREADY_VERIFIED, EmailVerificationService, INVALID_VERIFICATION, NO_EMAIL, VERIFY_WITH } from './email-verification.service.js';
import { EMAIL_OFF, EmailEnabledGuard } from './guards/email-enabled.guard.js';

export const VERIFICATION_RESENT = 'A new verification mail is on its way.';

/** The signed-in account's e-mail address, and its verification by a mailed link or code. */
@ApiTags('e-mail')
@Controller('auth/email')
@UseGuards(EmailEnabledGuard)
@ApiNotFoundResponse({ description: EMAIL_OFF })
export class EmailController {
  constructor(
    private readonly login: LoginService,
    private readonly emailVerification: EmailVerificationService,
  ) {}

  @Put()
  @Auth()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'changeEmail',
    summary: 'Set or change the e-mail address, with the current password; it is mailed a link and a code to verify it',
    description:
      'Another address is unverified until its link or code is used (password resets go only to a verified address); the same address in another case keeps its verification. ' +
      'An address is unique only once verified, and the answer never tells whether another account has it: one verified elsewhere is stored all the same, can never be verified here, and its owner is mailed a notice instead. ' +
      'Only the newest link and code work. Mail to one address is limited whatever route sends it (beyond the limit it is dropped, never answered). GET /auth/me shows the address and whether it is verified.',
  })
  @ApiNoContentResponse({ description: 'Changed (and, unless only its case changed, mailed for verification)' })
  @ApiBadRequestResponse({ description: 'Invalid body: not an e-mail address, or an unknown field' })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong current passwords (counted as failed logins), or too many mails asked for by this account (Retry-After says when to retry).' })
  async change(@CurrentUser() user: User, @Body() { email, currentPassword }: ChangeEmailDto, @CurrentRequest() request: RequestContext): Promise<void> {
    // The address is where password resets go: a stolen access token alone must not be able to redirect them.
    const checked = await this.login.authenticate(user.username, currentPassword, request, 'current-password');
    if (!checked) throw new UnauthorizedException('The current password is wrong.');
    await this.emailVerification.changeEmail(checked, email, request);
  }

  @Public()
  @Post('verify')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'verifyEmail',
    summary: 'Verify the e-mail address: the token of the mailed link, or the address and the mailed code',
    description:
      'Each works once, for 24 hours, only while the address is still the account’s, and only the newest mailed (a resend voids the earlier link and code). ' +
      'An address another account verified first is refused like a wrong token. Tries are counted per client address, and codes per e-mail address too.',
  })
  @ApiNoContentResponse({ description: 'Verified' })
  @ApiBadRequestResponse({ description: `${INVALID_VERIFICATION} Or: ${VERIFY_WITH}` })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong tokens or codes from this address, or codes for this e-mail address (Retry-After says when to retry).' })
  async verify(@Body() body: VerifyEmailDto, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.emailVerification.verify(body, request);
  }

  @Post('resend')
  @Auth()
  @HttpCode(202)
  @ApiOperation({
    operationId: 'resendEmailVerification',
    summary: 'Mail another verification link and code to the unverified address; the earlier ones stop working',
  })
  @ApiAcceptedResponse({ type: AcceptedDto, description: 'The mail is on its way (sent in the background; a failure is logged, and retried; beyond the address’s mail limit it is dropped)' })
  @ApiConflictResponse({ description: `${NO_EMAIL} Or: ${ALREADY_VERIFIED}` })
  @ApiTooManyRequestsResponse({ description: 'Too many mails asked for by this account (Retry-After says when to retry).' })
  async resend(@CurrentUser() user: User, @CurrentRequest() request: RequestContext): Promise<AcceptedDto> {
    await this.emailVerification.resend(user, request);
    return { message: VERIFICATION_RESENT };
  }
}
