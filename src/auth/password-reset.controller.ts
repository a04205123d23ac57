import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import { Public } from '../access/decorators/public.decorator.js';
import { AcceptedDto, ForgotPasswordDto, ResetPasswordDto } from './dto/account-email.dto.js';
import { EMAIL_OFF, EmailEnabledGuard } from './guards/email-enabled.guard.js';
import { FORGOT_WITH, INVALID_RESET_TOKEN, PasswordResetService, RESET_REQUESTED } from './password-reset.service.js';

/** A forgotten password: a link mailed to the account's verified address, and the new password it lets set. */
@ApiTags('password-reset')
@Controller('auth/password')
@UseGuards(EmailEnabledGuard)
@ApiNotFoundResponse({ description: EMAIL_OFF })
export class PasswordResetController {
  constructor(private readonly passwordReset: PasswordResetService) {}

  @Public()
  @Post('forgot')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'forgotPassword',
    summary: 'Ask for a password-reset link by username or e-mail address',
    description:
      'Always 202 with the same body, in the same time, whether or not the account exists or has a verified address: ' +
      'only then is a link mailed (single use, 30 minutes, and only the newest mailed works), within the address’s mail limit. Counted per username or address given and per client address.',
  })
  @ApiAcceptedResponse({ type: AcceptedDto, description: RESET_REQUESTED })
  @ApiBadRequestResponse({ description: `Invalid body. ${FORGOT_WITH}` })
  @ApiTooManyRequestsResponse({ description: 'Too many requests for this username or address, or from this client address (Retry-After says when to retry).' })
  async forgot(@Body() body: ForgotPasswordDto, @CurrentRequest() request: RequestContext): Promise<AcceptedDto> {
    await this.passwordReset.requestReset(body, request);
    return { message: RESET_REQUESTED };
  }

  @Public()
  @Post('reset')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'resetPassword',
    summary: 'Set a new password with the mailed token; every session of the account ends',
    description: 'From the 204 on, nothing obtained with the old password works on any instance, as after PUT /auth/password; a notice is mailed to the address. Two-factor, if on, stays on.',
  })
  @ApiNoContentResponse({ description: 'The password is reset' })
  @ApiBadRequestResponse({ description: `${INVALID_RESET_TOKEN} Or the new password breaks the rules (the message says which), or the body is invalid.` })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong tokens from this client address (Retry-After says when to retry).' })
  @ApiServiceUnavailableResponse({ description: 'Too many password hashes are waiting for the hashing pool (Retry-After says when to retry).' })
  async reset(@Body() { token, newPassword }: ResetPasswordDto, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.passwordReset.reset(token, newPassword, request);
  }
}
