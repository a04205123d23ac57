import { BadRequestException, ConflictException, Inject, Injectable, Logger } from '@nestjs/common';
import { emailKey } from '../account-rules/account-rules.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { MailService } from '../mail/mail.service.js';
import type { RecoveryToken } from '../recovery/entities/recovery-token.entity.js';
import { RECOVERY_TOKEN_TTL_SECONDS, RecoveryTokensService } from '../recovery/recovery-tokens.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { VerifyEmailDto } from './dto/account-email.dto.js';
import { LoginThrottleService, type LoginAttempt } from './login-throttle.service.js';

export const INVALID_VERIFICATION = 'The verification token or code is wrong, expired or already used.';
export const VERIFY_WITH = 'Give either token, or email and code.';
export const NO_EMAIL = 'The account has no e-mail address: set one with PUT /auth/email.';
export const ALREADY_VERIFIED = 'The e-mail address is already verified.';

/**
 * An account's e-mail address: setting it (unverified, and a mail to it),
 * the verification mail (a link and a six-digit code, single use, 24 hours),
 * and its proof. Each step is a method of its own, where the audit trail
 * will record it.
 */
@Injectable()
export class EmailVerificationService {
  private readonly logger = new Logger(EmailVerificationService.name);

  constructor(
    private readonly usersService: UsersService,
    private readonly tokens: RecoveryTokensService,
    private readonly mail: MailService,
    private readonly throttle: LoginThrottleService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /**
   * PUT /auth/email, its current password already checked. Another address is
   * unverified and mailed (counted against the mail limits first); the same
   * address in another case only changes its spelling.
   */
  async changeEmail(user: User, email: string): Promise<User> {
    const sameAddress = user.emailKey === emailKey(email);
    if (!(sameAddress && user.emailVerifiedAt)) await this.throttle.consumeMail(user.id, emailKey(email));
    const changed = await this.usersService.changeEmail(user.id, email);
    this.emailChanged(changed, sameAddress);
    if (!changed.emailVerifiedAt) await this.mailVerification(changed);
    return changed;
  }

  /** POST /auth/email/resend: another verification mail, within the mail limits. */
  async resend(user: User): Promise<void> {
    if (!user.email || !user.emailKey) throw new ConflictException(NO_EMAIL);
    if (user.emailVerifiedAt) throw new ConflictException(ALREADY_VERIFIED);
    await this.throttle.consumeMail(user.id, user.emailKey);
    await this.mailVerification(user);
  }

  /** A new verification token and code for the account's address, mailed (in the background). */
  async mailVerification(user: User): Promise<void> {
    const { token, code } = await this.tokens.issue(user, 'verify-email');
    this.mail.send({
      to: user.email!,
      template: 'verify-email',
      concerning: `user ${user.id}`,
      values: {
        username: user.username,
        link: `${this.config.publicUrl}/auth/email/verify?token=${token}`,
        code: code!,
        hours: String(RECOVERY_TOKEN_TTL_SECONDS['verify-email'] / 3600),
      },
    });
    this.verificationMailed(user);
  }

  /**
   * POST /auth/email/verify: the link's token, or the address and its code.
   * Tries are counted per client address (and a code per e-mail address too)
   * before they are checked, and given back when right.
   */
  async verify({ token, email, code }: VerifyEmailDto, clientAddress: string): Promise<void> {
    if (token != null && email == null && code == null) return this.settle(await this.throttle.consumeTokenAttempt(clientAddress), () => this.verifyToken(token));
    if (token == null && email != null && code != null) {
      return this.settle(await this.throttle.consumeTokenAttempt(clientAddress, emailKey(email)), () => this.verifyCode(email, code.trim()));
    }
    throw new BadRequestException(VERIFY_WITH);
  }

  private async verifyToken(token: string): Promise<boolean> {
    const found = await this.tokens.findLive(token, 'verify-email');
    return found !== null && (await this.markVerified(found));
  }

  private async verifyCode(email: string, code: string): Promise<boolean> {
    const user = await this.usersService.findByEmail(email);
    const found = user && (await this.tokens.findLiveByCode(user.id, user.emailKey!, code));
    return Boolean(found) && (await this.markVerified(found!));
  }

  private async settle(attempt: LoginAttempt, check: () => Promise<boolean>): Promise<void> {
    if (!(await check())) throw new BadRequestException(INVALID_VERIFICATION);
    await attempt.succeeded();
  }

  /** Spends the token, then marks the address it was mailed to as proven, if it is still the account's. */
  private async markVerified(token: RecoveryToken): Promise<boolean> {
    if (!(await this.tokens.spend(token))) return false;
    if (!(await this.usersService.markEmailVerified(token.userId, token.emailKey))) return false;
    this.emailVerified(token.userId);
    return true;
  }

  // The steps the audit trail records (audit.* events, when it lands); a log line until then.

  private emailChanged(user: User, sameAddress: boolean): void {
    this.logger.log(`user ${user.id} ${sameAddress ? 'respelled' : 'changed'} their e-mail address`);
  }

  private verificationMailed(user: User): void {
    this.logger.log(`a verification mail for user ${user.id} was queued`);
  }

  private emailVerified(userId: number): void {
    this.logger.log(`user ${userId} verified their e-mail address`);
  }
}
