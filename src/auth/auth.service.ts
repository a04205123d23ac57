import { BadRequestException, ConflictException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Role } from '../account-rules/account-rules.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { ChangePasswordDto } from './dto/change-password.dto.js';
import type { RegisterDto } from './dto/register.dto.js';
import { LoginService } from '../login/login.service.js';
import { LoginThrottleService } from '../login/login-throttle.service.js';
import { PasswordsService } from '../passwords/passwords.service.js';
import type { RequestContext } from '../http/request-context.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';
import { PasswordPolicyService } from '../password-policy/password-policy.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { EmailVerificationService } from './email-verification.service.js';
import { EMAIL_OFF } from './guards/email-enabled.guard.js';

/** Accounts: registration, and a password change or reset (which ends every session). Checking who someone is lives in LoginService. */
@Injectable()
export class AuthService {
  constructor(
    private readonly usersService: UsersService,
    private readonly passwordsService: PasswordsService,
    private readonly login: LoginService,
    private readonly loginThrottle: LoginThrottleService,
    private readonly sessions: SessionsService,
    private readonly passwordPolicy: PasswordPolicyService,
    private readonly events: EventEmitter2,
    private readonly emailVerification: EmailVerificationService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /**
   * POST /auth: a `user` account, limited per client address. The attempt is
   * counted before the policy runs, so its online check cannot be driven
   * faster than registrations are allowed. A name already taken is recorded
   * too (someone probing for accounts). An address given is mailed a
   * verification (in the background), or, if another account verified it,
   * that account's owner a notice: the answer is the same either way, so it
   * tells no one whose address it is.
   */
  async register(account: RegisterDto, request: RequestContext): Promise<User> {
    if (account.email != null && !this.config.mail.enabled) throw new BadRequestException(`email: ${EMAIL_OFF}`);
    await this.loginThrottle.consumeRegistration(request);
    await this.passwordPolicy.enforce(account.password, account.username, 'password');
    const details = { username: account.username, role: 'user' };
    let user: User;
    try {
      user = await this.createAccount(account, 'user', request.clientAddress);
    } catch (error) {
      if (error instanceof ConflictException) {
        raiseSecurityEvent(this.events, { type: 'account.registered', outcome: 'failure', request, details: { ...details, reason: 'username-taken' } });
      }
      throw error;
    }
    raiseSecurityEvent(this.events, { type: 'account.registered', subjectId: user.id, request, details });
    if (user.email) await this.emailVerification.mailVerification(user, request);
    return user;
  }

  /** Any account, its password already past the policy: for the admin bootstrap as well as registration. */
  async createAccount({ username, password, email }: RegisterDto, role: Role, clientAddress?: string): Promise<User> {
    const passwordHash = await this.passwordsService.hashPassword(password, clientAddress);
    return this.usersService.create({ username, passwordHash, role, email });
  }

  /**
   * PUT /auth/password. The new hash and a new credentials version are one
   * write, which ends every session at once, including one a login is
   * creating right now with the old password; the sessions are then marked
   * ended as well. Caches on every instance are cleared before the 204.
   */
  async changePassword(user: User, { currentPassword, newPassword }: ChangePasswordDto, request: RequestContext): Promise<void> {
    // Guessing the current password with a stolen token is a login attempt too.
    if (!(await this.login.authenticate(user.username, currentPassword, request, 'current-password'))) {
      throw new UnauthorizedException('The current password is wrong.');
    }
    await this.storeNewPassword(user.id, await this.hashNewPassword(user, newPassword, request.clientAddress));
    raiseSecurityEvent(this.events, { type: 'password.changed', actorId: user.id, subjectId: user.id, request });
  }

  /** A new password of the user (a change or a reset): past the policy (400 naming newPassword), then hashed. */
  async hashNewPassword(user: User, newPassword: string, clientAddress: string): Promise<string> {
    await this.passwordPolicy.enforce(newPassword, user.username, 'newPassword');
    return this.passwordsService.hashPassword(newPassword, clientAddress);
  }

  /**
   * Stores a new password hash, for a change and a reset alike: the hash and a
   * new credentials version are one write (refresh tokens, access tokens and
   * cached Basic credentials die on every instance, through the
   * user.password-changed event), then every session is marked ended.
   */
  async storeNewPassword(userId: number, passwordHash: string): Promise<void> {
    await this.usersService.changePassword(userId, passwordHash);
    await this.sessions.endAll(userId);
  }
}
