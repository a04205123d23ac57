import { BadRequestException, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Res, UnauthorizedException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { FastifyReply } from 'fastify';
import { AuthService } from '../auth/auth.service.js';
import { EmailVerificationService } from '../auth/email-verification.service.js';
import { Console, Visitor } from '../console-session/console-access.js';
import type { ConsoleVisitor } from '../console-session/console-session.service.js';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import { LoginService } from '../login/login.service.js';
import { MfaService } from '../mfa/mfa.service.js';
import { ConsentsService } from '../oauth/authorization/consents.service.js';
import { CsrfProtected } from '../pages/csrf.js';
import { runForm, validForm, type FormProblem } from '../pages/form-problem.js';
import { PageBody, PageForm, PageQuery } from '../pages/page-params.js';
import { PageRenderer } from '../pages/page-renderer.js';
import { PasskeysService } from '../passkeys/passkeys.service.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { AccountConsoleService } from './account-console.service.js';
import { AccountPageQueryDto, AddPasskeyFormDto, ChangeEmailFormDto, ChangePasswordFormDto, CodeFormDto, PasskeyNameFormDto, PasswordFormDto } from './dto/account-forms.dto.js';

const WRONG_PASSWORD = 'The password is wrong. Go back and enter your current password.';
/** The same, on the form itself (form-problem.ts): nothing to go back to. */
const WRONG_PASSWORD_HERE = 'Current password: the password is wrong. Enter your current password.';
const WRONG_CODE = 'The code is wrong, expired or already used. Go back and enter the current code of your authenticator app.';
const PASSWORDS_DIFFER = 'New password, again: the two new passwords differ. Type the same new password twice.';
const NO_ENROLMENT = 'No enrolment is under way (it was discarded after too many wrong codes, or never started). Start again from your account page.';

/**
 * The account page (/account): a person's own account, through the hosted
 * login's browser session. Every change is a POST form with its CSRF token,
 * answered by a 303 back to the page with a notice (redirect-after-post), and
 * made by the service the API's route uses, with the same checks and audit
 * events; what is shown once (the QR code, the recovery codes) is a page of
 * its own. Only adding a passkey needs JavaScript (WebAuthn).
 */
@Controller('account')
@Console('account')
export class AccountConsoleController {
  constructor(
    private readonly view: AccountConsoleService,
    private readonly pages: PageRenderer,
    private readonly login: LoginService,
    private readonly authService: AuthService,
    private readonly emailVerification: EmailVerificationService,
    private readonly sessions: SessionsService,
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeysService,
    private readonly consents: ConsentsService,
    private readonly events: EventEmitter2,
  ) {}

  @Get()
  async page(@Visitor() visitor: ConsoleVisitor, @PageQuery(AccountPageQueryDto) { done }: AccountPageQueryDto, @Res() reply: FastifyReply): Promise<void> {
    await this.pages.render(reply, 'account', await this.view.page(visitor, done), { scripts: true });
  }

  /** The account page again, with a form's refusal shown on that form. */
  private pageWith(reply: FastifyReply, visitor: ConsoleVisitor) {
    return async (problem: FormProblem, status: number) => this.pages.render(reply, 'account', { ...(await this.view.page(visitor)), problem }, { scripts: true, status });
  }

  /** A refusal (the address, the password, the service's rules) is shown on the form, the address kept. */
  @Post('email')
  @CsrfProtected()
  async changeEmail(@Visitor() visitor: ConsoleVisitor, @PageForm() body: unknown, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await runForm('email', body, ['email'], this.pageWith(reply, visitor), async () => {
      const { email, currentPassword } = await validForm(ChangeEmailFormDto, body);
      // As PUT /auth/email: the address is where resets go, so the password is asked for.
      const checked = await this.login.authenticate(visitor.user.username, currentPassword, request, 'current-password');
      if (!checked) throw new UnauthorizedException(WRONG_PASSWORD_HERE);
      await this.emailVerification.changeEmail(checked, email, request);
      back(reply, 'email-changed');
    });
  }

  @Post('email/resend')
  @CsrfProtected()
  async resend(@Visitor() { user }: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await this.emailVerification.resend(user, request);
    back(reply, 'email-resent');
  }

  /** Every session of the account ends (AuthService's rule), this browser's too: the page says so, and signing in again leads back. A refusal is shown on the form. */
  @Post('password')
  @CsrfProtected()
  async changePassword(@Visitor() visitor: ConsoleVisitor, @PageForm() body: unknown, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await runForm('password', body, [], this.pageWith(reply, visitor), async () => {
      const form = await validForm(ChangePasswordFormDto, body);
      if (form.newPassword !== form.newPasswordConfirmation) throw new BadRequestException(PASSWORDS_DIFFER);
      await this.authService.changePassword(visitor.user, form, request);
      await this.pages.render(reply, 'message', {
        title: 'Password changed',
        message: 'Your password is changed, and every session of your account has ended, this one too. Sign in again with the new password.',
        tone: 'success',
        link: { href: '/account', text: 'Sign in again' },
      });
    });
  }

  @Post('sessions/end-others')
  @CsrfProtected()
  async endOthers(@Visitor() { user, session }: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await this.sessions.endAll(user.id, session.id, { actorId: user.id, request });
    back(reply, 'sessions-ended');
  }

  @Post('sessions/:id/end')
  @CsrfProtected()
  async endSession(@Visitor() { user }: ConsoleVisitor, @Param('id', new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('That is not a session of this page: go back and use the button of a session listed.') })) id: string, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await this.sessions.endOne(user.id, id, { actorId: user.id, request });
    back(reply, 'session-ended');
  }

  /** As POST /auth/mfa/totp: the password first, then the secret, its otpauth:// URI and the QR code (MfaService renders it), on a page of their own. */
  @Post('two-factor/enrol')
  @HttpCode(200)
  @CsrfProtected()
  async enrolTotp(@Visitor() { user }: ConsoleVisitor, @PageBody(PasswordFormDto) { password }: PasswordFormDto, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    if (!(await this.login.authenticate(user.username, password, request, 'current-password'))) throw new UnauthorizedException(WRONG_PASSWORD);
    const enrolment = await this.mfa.beginEnrolment(user);
    await this.pages.render(reply, 'account-two-factor', { step: 'confirm', ...enrolment }, { imageSources: ['data:'] });
  }

  /** As POST /auth/mfa/totp/confirm: the recovery codes are shown here once, never again. */
  @Post('two-factor/confirm')
  @HttpCode(200)
  @CsrfProtected()
  async confirmTotp(@Visitor() { user }: ConsoleVisitor, @PageBody(CodeFormDto) { code }: CodeFormDto, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    const confirmation = await this.login.confirmTotp(user, code.trim(), request);
    if (confirmation.outcome === 'confirmed') return this.pages.render(reply, 'account-two-factor', { step: 'recovery-codes', recoveryCodes: confirmation.recoveryCodes });
    if (confirmation.outcome === 'wrong-code') return this.pages.render(reply, 'account-two-factor', { step: 'confirm', error: WRONG_CODE }, { status: 400 });
    throw new BadRequestException(NO_ENROLMENT);
  }

  /** As DELETE /auth/mfa/totp: a code (or a recovery code) turns it off; the same audit event. */
  @Post('two-factor/disable')
  @CsrfProtected()
  async disableTotp(@Visitor() { user }: ConsoleVisitor, @PageBody(CodeFormDto) { code }: CodeFormDto, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    if (!user.totpEnabled) throw new BadRequestException('Two-factor authentication is not on.');
    if (!(await this.login.verifySecondFactor(user, code.trim(), request, false))) throw new BadRequestException(WRONG_CODE);
    await this.mfa.disable(user.id);
    raiseSecurityEvent(this.events, { type: 'mfa.disabled', actorId: user.id, subjectId: user.id, request, details: { factor: 'totp' } });
    back(reply, 'two-factor-off');
  }

  /** The creation options for the page's passkey script (JSON): the browser session's sign-in counts as recent within 5 minutes, as a Bearer token's does. */
  @Post('passkeys/options')
  @HttpCode(200)
  @CsrfProtected()
  async passkeyOptions(@Visitor() { user, session }: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    const options = await this.passkeys.registrationOptions({ user, sessionId: session.id, basic: false, request });
    reply.status(200).header('cache-control', 'no-store').type('application/json').send(options);
  }

  @Post('passkeys')
  @CsrfProtected()
  async addPasskey(@Visitor() { user }: ConsoleVisitor, @PageBody(AddPasskeyFormDto) { name, response }: AddPasskeyFormDto, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(response);
    } catch {
      throw new BadRequestException('The passkey answer is not readable. Go back and add the passkey again.');
    }
    await this.passkeys.register(user, name, parsed as never, request);
    back(reply, 'passkey-added');
  }

  @Post('passkeys/:id/rename')
  @CsrfProtected()
  async renamePasskey(@Visitor() { user }: ConsoleVisitor, @Param('id', new ParseUUIDPipe()) id: string, @PageBody(PasskeyNameFormDto) { name }: PasskeyNameFormDto, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await this.passkeys.rename(user.id, id, name, request);
    back(reply, 'passkey-renamed');
  }

  @Post('passkeys/:id/remove')
  @CsrfProtected()
  async removePasskey(@Visitor() { user }: ConsoleVisitor, @Param('id', new ParseUUIDPipe()) id: string, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await this.passkeys.remove(user, id, request);
    back(reply, 'passkey-removed');
  }

  @Post('applications/:clientId/withdraw')
  @CsrfProtected()
  async withdraw(@Visitor() { user }: ConsoleVisitor, @Param('clientId') clientId: string, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    if (!(await this.consents.withdraw(user.id, clientId.slice(0, 64), request))) throw new BadRequestException('You allowed this application nothing: go back to your account page.');
    back(reply, 'application-withdrawn');
  }
}

/** Redirect-after-post: back to the page, with the notice of what was done. */
function back(reply: FastifyReply, done: string): void {
  reply.status(303).header('location', `/account?done=${done}`).send();
}
