import { BadRequestException, Controller, Get, HttpStatus, Inject, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { isWellFormedPassword, PASSWORD_FORM_RULE } from '../account-rules/account-rules.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import { EMAIL_LINK_PAGES } from '../mail/email-links.js';
import { CsrfProtected } from '../pages/csrf.js';
import { HostedPage } from '../pages/hosted-page.decorator.js';
import { PageBody, PageQuery } from '../pages/page-params.js';
import { PageRenderer } from '../pages/page-renderer.js';
import { Public } from '../access/decorators/public.decorator.js';
import { ResetPasswordPageForm, ResetPasswordPageQuery, VerifyEmailPageForm, VerifyEmailPageQuery } from './dto/email-link-pages.dto.js';
import { EmailVerificationService } from './email-verification.service.js';
import { EmailEnabledGuard } from './guards/email-enabled.guard.js';
import { INVALID_RESET_TOKEN, PasswordResetService } from './password-reset.service.js';

const ENTER_EMAIL_AND_CODE = 'Enter your e-mail address and the 6-digit code from the mail.';
const WRONG_CODE = 'This code is wrong, expired or already used, or is not the newest one mailed to this address.';
const RESET_LINK_INVALID = 'This link is invalid, expired or already used: only the newest reset link mailed works, once, for 30 minutes. Ask for a new one.';
const PASSWORDS_DIFFER = 'The two passwords differ: type the same new password in both fields.';

/** The message of a 400 from the API's services (a string, or Nest's body). */
function messageOf(error: BadRequestException): string {
  const body = error.getResponse() as string | { message?: unknown };
  return typeof body === 'string' ? body : String(body.message);
}

/**
 * The pages the mails link to, for a person in a browser: the same services
 * as POST /auth/email/verify and POST /auth/password/reset (throttles, audit,
 * the password policy), behind a form. A GET never spends a token: mail
 * scanners open links; only the POST of the page's form does, with its CSRF
 * token. With EMAIL_LINK_BASE the mails point at the operator's front end
 * instead, and these pages stay for whoever opens them.
 */
@Controller()
@HostedPage()
@UseGuards(EmailEnabledGuard)
export class EmailLinkPagesController {
  constructor(
    private readonly pages: PageRenderer,
    private readonly emailVerification: EmailVerificationService,
    private readonly passwordReset: PasswordResetService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /** With the link's token: a button. Without: a form for the address and the mailed code. */
  @Public()
  @Get(EMAIL_LINK_PAGES.verifyEmail)
  showVerifyEmail(@PageQuery(VerifyEmailPageQuery) { token }: VerifyEmailPageQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.pages.render(reply, 'verify-email', { action: EMAIL_LINK_PAGES.verifyEmail, token });
  }

  @Public()
  @Post(EMAIL_LINK_PAGES.verifyEmail)
  @CsrfProtected()
  async verifyEmail(@PageBody(VerifyEmailPageForm) { token, email, code }: VerifyEmailPageForm, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    if (token) {
      // A wrong token is the service's 400, rendered as an error page: there is nothing to type again.
      await this.emailVerification.verify({ token }, request);
    } else {
      const again = (error: string) => this.pages.render(reply, 'verify-email', { action: EMAIL_LINK_PAGES.verifyEmail, email, error }, { status: HttpStatus.BAD_REQUEST });
      if (!email?.trim() || !code?.trim()) return again(ENTER_EMAIL_AND_CODE);
      try {
        await this.emailVerification.verify({ email: email.trim(), code }, request);
      } catch (error) {
        if (error instanceof BadRequestException) return again(WRONG_CODE);
        throw error;
      }
    }
    return this.pages.render(reply, 'message', { title: 'Address confirmed', message: 'Your e-mail address is confirmed. You can close this page.', tone: 'success' });
  }

  @Public()
  @Get(EMAIL_LINK_PAGES.resetPassword)
  showResetPassword(@PageQuery(ResetPasswordPageQuery) { token }: ResetPasswordPageQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.resetForm(reply, token);
  }

  /**
   * A refusal of the new password (its form, the two fields differing, the
   * policy) shows on the form again, the token still good; a bad token is a
   * 400 page.
   */
  @Public()
  @Post(EMAIL_LINK_PAGES.resetPassword)
  @CsrfProtected()
  async resetPassword(@PageBody(ResetPasswordPageForm) form: ResetPasswordPageForm, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    const { token, newPassword, newPasswordConfirmation } = form;
    if (!newPassword) return this.resetForm(reply, token, 'Enter a new password.');
    if (!isWellFormedPassword(newPassword)) return this.resetForm(reply, token, `The new password must be ${PASSWORD_FORM_RULE}.`);
    if (newPassword !== newPasswordConfirmation) return this.resetForm(reply, token, PASSWORDS_DIFFER);
    try {
      await this.passwordReset.reset(token, newPassword, request);
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      if (messageOf(error) === INVALID_RESET_TOKEN) throw new BadRequestException(RESET_LINK_INVALID);
      // The policy's refusal names the API's field: "newPassword is too common (…)".
      return this.resetForm(reply, token, messageOf(error).replace(/^newPassword\b/, 'The new password'));
    }
    return this.pages.render(reply, 'message', {
      title: 'Password changed',
      message: 'Your new password is set, and every session of the account has ended: sign in again with the new password.',
      tone: 'success',
    });
  }

  private resetForm(reply: FastifyReply, token: string, error?: string): Promise<void> {
    const data = { action: EMAIL_LINK_PAGES.resetPassword, token, minLength: this.config.passwordPolicy.minLength, error };
    return this.pages.render(reply, 'reset-password', data, { status: error ? HttpStatus.BAD_REQUEST : HttpStatus.OK });
  }
}
