import { BadRequestException, Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { isValidEmail } from '../account-rules/account-rules.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { EMAIL_LINK_PAGES, emailLink } from '../mail/email-links.js';
import { MailService } from '../mail/mail.service.js';
import { RECOVERY_TOKEN_TTL_SECONDS, RecoveryTokensService } from '../recovery/recovery-tokens.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AuthService } from './auth.service.js';
import { LoginThrottleService } from '../login/login-throttle.service.js';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RequestContext } from '../http/request-context.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';

export const RESET_REQUESTED = 'If an account with a verified e-mail address matches, a link to reset its password is on its way to that address.';
export const INVALID_RESET_TOKEN = 'The reset token is invalid, expired or already used.';
export const FORGOT_WITH = 'Give either username or email.';

/**
 * Password reset by mail. The request answers the same, in the same time,
 * whatever the account: everything that depends on it (the lookup, the
 * token, the mail) happens after the answer. The reset sets the password as
 * a change does (AuthService), so it ends every login at once. Each step is
 * recorded in the audit trail.
 */
@Injectable()
export class PasswordResetService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PasswordResetService.name);
  /** Requests still being looked up and mailed after their answer. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly usersService: UsersService,
    private readonly authService: AuthService,
    private readonly tokens: RecoveryTokensService,
    private readonly mail: MailService,
    private readonly throttle: LoginThrottleService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * POST /auth/password/forgot. Counted per name given and per client
   * address (429 alike for every name); then the answer, always the same
   * 202. Whether an account matches is decided after it, so no response
   * (body, status or time) tells.
   */
  async requestReset({ username, email }: { username?: string | null; email?: string | null }, context: RequestContext): Promise<void> {
    const identifier = (username == null) === (email == null) ? null : (username ?? email)!;
    if (identifier === null) throw new BadRequestException(FORGOT_WITH);
    await this.throttle.consumeResetRequest(identifier, context);
    const request = this.mailReset(identifier, context)
      .catch((error: unknown) => this.logger.error(`a password-reset request could not be handled: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => this.pending.delete(request));
    this.pending.add(request);
  }

  /** Resolves once every request answered so far has been looked up and its mail queued (or not). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /**
   * POST /auth/password/reset. A live token of the account's current address
   * and credentials, then the password policy, then the token is spent (once,
   * and only while no other password was set since) and the password stored
   * as a change stores it: new credentials version, every session ended, every
   * instance told. Tries are counted per client address, given back when the
   * token was right.
   */
  async reset(token: string, newPassword: string, request: RequestContext): Promise<void> {
    const attempt = await this.throttle.consumeTokenAttempt(request);
    const found = await this.tokens.findLive(token, 'reset-password');
    const user = found && (await this.usersService.findFreshById(found.userId));
    if (!found || !user || user.credentialsVersion !== found.credentialsVersion || user.emailKey !== found.emailKey) throw this.refused(request, found?.userId ?? null);
    await attempt.succeeded();
    const passwordHash = await this.authService.hashNewPassword(user, newPassword, request.clientAddress);
    if (!(await this.tokens.spend(found))) throw this.refused(request, user.id);
    await this.authService.storeNewPassword(user.id, passwordHash);
    this.passwordReset(user, request);
  }

  private refused(request: RequestContext, userId: number | null): BadRequestException {
    raiseSecurityEvent(this.events, { type: 'password.reset', outcome: 'failure', subjectId: userId, request });
    return new BadRequestException(INVALID_RESET_TOKEN);
  }

  /**
   * After the answer: the account, if any, and the mail, if its address is
   * verified and the address's mail limit allows (the token is issued only
   * then, voiding the last one mailed).
   */
  private async mailReset(identifier: string, request: RequestContext): Promise<void> {
    const user = isValidEmail(identifier) ? await this.usersService.findByVerifiedEmail(identifier) : await this.usersService.findByUsername(identifier);
    const mailable = Boolean(user?.email && user.emailKey && user.emailVerifiedAt);
    // The name as given, an unknown one too (someone probing, or a typo); whether a mail goes out.
    raiseSecurityEvent(this.events, { type: 'password.reset-requested', subjectId: user?.id ?? null, request, details: { identifier, mailable } });
    if (!user?.email || !user.emailKey || !user.emailVerifiedAt) return;
    await this.mail.send(
      {
        to: user.email,
        concerning: `user ${user.id}`,
        content: async () => {
          const { token } = await this.tokens.issue(user, 'reset-password');
          const link = emailLink(this.config, EMAIL_LINK_PAGES.resetPassword, token);
          return { template: 'password-reset', values: { username: user.username, link, token, minutes: String(RECOVERY_TOKEN_TTL_SECONDS['reset-password'] / 60) } };
        },
      },
      request,
    );
  }

  /** The password was reset: recorded. The owner is told by the security notice this event calls for (security-notices/, through its outbox). */
  private passwordReset(user: User, request: RequestContext): void {
    raiseSecurityEvent(this.events, { type: 'password.reset', actorId: user.id, subjectId: user.id, request });
  }
}
