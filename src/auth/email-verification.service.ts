import { BadRequestException, ConflictException, Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { emailKey } from '../account-rules/account-rules.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { EMAIL_LINK_PAGES, emailLink } from '../mail/email-links.js';
import { MailService } from '../mail/mail.service.js';
import type { RecoveryToken } from '../recovery/entities/recovery-token.entity.js';
import { RECOVERY_TOKEN_TTL_SECONDS, RecoveryTokensService } from '../recovery/recovery-tokens.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { VerifyEmailDto } from './dto/account-email.dto.js';
import { LoginThrottleService, type LoginAttempt } from '../login/login-throttle.service.js';
import type { RequestContext } from '../http/request-context.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';

export const INVALID_VERIFICATION = 'The verification token or code is wrong, expired or already used.';
export const VERIFY_WITH = 'Give either token, or email and code.';
export const NO_EMAIL = 'The account has no e-mail address: set one with PUT /auth/email.';
export const ALREADY_VERIFIED = 'The e-mail address is already verified.';

/**
 * An account's e-mail address: setting it (unverified, and a mail to it),
 * the verification mail (a link and a six-digit code, single use, 24 hours,
 * only the newest working), and its proof. Each step is recorded in the
 * audit trail.
 *
 * An address is unique only once verified, and no answer tells whether one
 * is: an address verified on another account is stored like any other (it
 * can never be verified here), and its mail is a notice to that account's
 * owner instead of a verification; the answer, and the work done before it,
 * are the same.
 */
@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly usersService: UsersService,
    private readonly tokens: RecoveryTokensService,
    private readonly mail: MailService,
    private readonly throttle: LoginThrottleService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * PUT /auth/email, its current password already checked. Another address is
   * unverified and mailed (counted against the account's mail limit first);
   * the same address in another case only changes its spelling.
   */
  async changeEmail(user: User, email: string, request: RequestContext): Promise<User> {
    const sameAddress = user.emailKey === emailKey(email);
    if (!(sameAddress && user.emailVerifiedAt)) await this.throttle.consumeMail(user.id, request);
    const changed = await this.usersService.changeEmail(user.id, email);
    // The address it replaces, when it was proven: the security notice goes there (the new one may be an attacker's).
    const previousEmail = !sameAddress && user.emailVerifiedAt ? user.email : null;
    raiseSecurityEvent(this.events, { type: 'email.changed', actorId: user.id, subjectId: user.id, request, details: { email: changed.email, respelled: sameAddress, previousEmail } });
    if (!changed.emailVerifiedAt) await this.mailVerification(changed, request);
    return changed;
  }

  /** POST /auth/email/resend: another verification mail, within the mail limits. */
  async resend(user: User, request: RequestContext): Promise<void> {
    if (!user.email || !user.emailKey) throw new ConflictException(NO_EMAIL);
    if (user.emailVerifiedAt) throw new ConflictException(ALREADY_VERIFIED);
    await this.throttle.consumeMail(user.id, request);
    await this.mailVerification(user, request);
  }

  /**
   * A new verification token and code for the account's address (voiding
   * the last), mailed in the background, within the address's mail limit.
   * If another account has verified the address, that account's owner is
   * mailed a notice instead: a token is issued all the same, so both cases
   * do the same work, but with no code, and it is never sent (nor could it
   * verify).
   */
  async mailVerification(user: User, request: RequestContext | null): Promise<void> {
    const email = user.email!;
    await this.mail.send(
      {
        to: email,
        concerning: `user ${user.id}`,
        content: async () => {
          const owner = await this.usersService.findByVerifiedEmail(email);
          const takenElsewhere = owner !== null && owner.id !== user.id;
          const { token, code } = await this.tokens.issue(user, 'verify-email', !takenElsewhere);
          if (owner && takenElsewhere) {
            raiseSecurityEvent(this.events, { type: 'email.owner-notified', subjectId: user.id, request, details: { email, ownerId: owner.id } });
            return { template: 'email-in-use', values: { username: owner.username, time: new Date().toISOString(), publicUrl: this.config.publicUrl } };
          }
          raiseSecurityEvent(this.events, { type: 'email.verification-mailed', subjectId: user.id, request, details: { email } });
          const link = emailLink(this.config, EMAIL_LINK_PAGES.verifyEmail, token);
          return { template: 'verify-email', values: { username: user.username, link, token, code: code!, hours: String(RECOVERY_TOKEN_TTL_SECONDS['verify-email'] / 3600) } };
        },
      },
      request,
    );
  }

  /**
   * POST /auth/email/verify: the link's token, or the address and its code.
   * Tries are counted per client address (and a code per e-mail address too)
   * before they are checked, and given back when right.
   */
  async verify({ token, email, code }: VerifyEmailDto, request: RequestContext): Promise<void> {
    if (token != null && email == null && code == null) return this.settle(await this.throttle.consumeTokenAttempt(request), () => this.verifyToken(token), request, 'link');
    if (token == null && email != null && code != null) {
      return this.settle(await this.throttle.consumeTokenAttempt(request, emailKey(email)), () => this.verifyCode(email, code.trim()), request, 'code');
    }
    throw new BadRequestException(VERIFY_WITH);
  }

  /** The account whose address a right token proved, or null. */
  private async verifyToken(token: string): Promise<number | null> {
    const found = await this.tokens.findLive(token, 'verify-email');
    return found && (await this.markVerified(found));
  }

  private async verifyCode(email: string, code: string): Promise<number | null> {
    const found = await this.tokens.findLiveByCode(emailKey(email), code);
    return found && (await this.markVerified(found));
  }

  private async settle(attempt: LoginAttempt, check: () => Promise<number | null>, request: RequestContext, via: 'link' | 'code'): Promise<void> {
    const userId = await check();
    if (userId === null) {
      raiseSecurityEvent(this.events, { type: 'email.verified', outcome: 'failure', request, details: { via } });
      // An invalid_grant, as the token endpoint names a bad token, in a 400: nothing here authenticates anyone.
      throw new BadRequestException({ statusCode: 400, error: 'invalid_grant', error_description: INVALID_VERIFICATION, message: INVALID_VERIFICATION });
    }
    await attempt.succeeded();
    raiseSecurityEvent(this.events, { type: 'email.verified', subjectId: userId, request, details: { via } });
  }

  /**
   * Spends the token, then marks the address it was mailed to as proven, if
   * it is still the account's and no other account verified it meanwhile
   * (then the same refusal as a wrong token: the answer tells no one that
   * the address is taken).
   */
  private async markVerified(token: RecoveryToken): Promise<number | null> {
    if (!(await this.tokens.spend(token))) return null;
    if (!(await this.usersService.markEmailVerified(token.userId, token.emailKey))) return null;
    await this.tokens.voidOtherVerifications(token.emailKey, token.userId);
    return token.userId;
  }
}
