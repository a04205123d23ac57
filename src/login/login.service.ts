import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { isValidPassword, isValidUsername } from '../account-rules/account-rules.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { LoginThrottleService, type CountedLogin } from './login-throttle.service.js';
import { PasswordsService } from '../passwords/passwords.service.js';
import { VerifiedCredentialsCache } from './verified-credentials.cache.js';
import type { RequestContext } from '../http/request-context.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';
import { MfaService, type EnrolmentConfirmation } from '../mfa/mfa.service.js';
import { AuthenticationFailedException } from '../http/authentication-failed.exception.js';
import { BASIC_CHALLENGE, BEARER_CHALLENGE } from '../http/authentication-challenges.js';

/** How a credential was presented: the token endpoint, a Basic header, the hosted login page, the current password of a password change or an enrolment, a second-factor code, or a passkey. */
export type LoginMethod = 'password' | 'basic' | 'login-page' | 'current-password' | 'second-factor' | 'passkey';

export const BASIC_WITH_TWO_FACTOR =
  'This account uses two-factor authentication, which HTTP Basic cannot carry: get a token from POST /auth/token (password, then the code).';

/** A password check: the user when it matched, and the account the name belongs to either way (null: no such account). */
interface CheckedCredentials {
  user: User | null;
  accountId: number | null;
}

/**
 * Who is this? Every check of a password or a second-factor code, wherever it
 * is presented (the token endpoint, Basic, the hosted login page, a password
 * change), goes through here: one throttle, one timing, one hash queue, one
 * audit trail.
 */
@Injectable()
export class LoginService {
  private readonly logger = new Logger(LoginService.name);

  constructor(
    private readonly usersService: UsersService,
    private readonly passwordsService: PasswordsService,
    private readonly loginThrottle: LoginThrottleService,
    private readonly verifiedCredentials: VerifiedCredentialsCache,
    private readonly mfa: MfaService,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * A login attempt (password grant or Basic). The attempt is counted before
   * the password is checked (429 when no attempt is left), so parallel
   * guesses cannot all slip in before the first failures are written.
   */
  async authenticate(username: string, password: string, request: RequestContext, method: LoginMethod): Promise<User | null> {
    const [{ user, accountId }, attempt] = await this.throttled(username, request, () => this.verifyCredentials(username, password, request.clientAddress));
    // A right password completes the login only without two-factor; with it, the code is still owed (and throttled).
    if (user) await (user.totpEnabled ? attempt.succeeded() : attempt.loggedIn());
    // The username as sent (an unknown one too), never the password.
    const details = { username, method };
    // `completed`: this step signed someone in (no code still owed; not a check of the current password): what a new-sign-in notice looks for.
    const completed = !user?.totpEnabled && (method === 'password' || method === 'login-page');
    if (user) raiseSecurityEvent(this.events, { type: 'login', actorId: user.id, subjectId: user.id, request, details: { ...details, completed } });
    else raiseSecurityEvent(this.events, { type: 'login', outcome: 'failure', subjectId: accountId, request, details });
    return user;
  }

  /**
   * Basic authentication: verified credentials are remembered for a minute
   * (VerifiedCredentialsCache), so a client sending them on every request
   * costs one bcrypt, not one per request.
   */
  async authenticateBasic(username: string, password: string, request: RequestContext): Promise<User | null> {
    const cachedUserId = this.verifiedCredentials.lookup(username, password);
    if (cachedUserId !== undefined) {
      const user = await this.usersService.findById(cachedUserId);
      if (user) return this.withoutSecondFactor(user);
    }
    // Taken before the user is read: a change during the check keeps the pair out of the cache.
    const changesBefore = this.verifiedCredentials.changeCount();
    const user = await this.authenticate(username, password, request, 'basic');
    if (user) this.verifiedCredentials.remember(username, password, user.id, changesBefore);
    return user && this.withoutSecondFactor(user);
  }

  /** Basic has no place for a code: an account with two-factor on is refused, saying why (turning it on drops cached credentials). */
  private withoutSecondFactor(user: User): User {
    if (user.totpEnabled) throw new AuthenticationFailedException(BASIC_WITH_TWO_FACTOR, [BEARER_CHALLENGE, BASIC_CHALLENGE]);
    return user;
  }

  /**
   * A second-factor code of the user (TOTP, accepted once; or a recovery
   * code, spent), counted as a login attempt before it is checked, so wrong
   * codes are throttled per username and address, per address and per
   * account, on the very counters wrong passwords use. A right one completes
   * a login only at the MFA grant (`completesLogin`); turning two-factor off
   * with it just gives its attempt back.
   */
  async verifySecondFactor(user: User, code: string, request: RequestContext, completesLogin: boolean): Promise<boolean> {
    const [accepted, attempt] = await this.throttled(user.username, request, () => this.mfa.verifyCode(user.id, code));
    const details = { username: user.username, method: 'second-factor' };
    if (accepted) {
      await (completesLogin ? attempt.loggedIn() : attempt.succeeded());
      raiseSecurityEvent(this.events, { type: 'login', actorId: user.id, subjectId: user.id, request, details: { ...details, factor: accepted, completed: completesLogin } });
      if (accepted === 'recovery') raiseSecurityEvent(this.events, { type: 'mfa.recovery-code-used', actorId: user.id, subjectId: user.id, request });
    } else {
      raiseSecurityEvent(this.events, { type: 'login', outcome: 'failure', subjectId: user.id, request, details });
    }
    return accepted !== null;
  }

  /**
   * The second step of a login on the hosted pages: the `mfa_token` of the
   * password step names a live challenge for the account as it was (same
   * credentials, two-factor still on), the code is right (throttled as
   * above), then the challenge is spent. `expired`: start again; `wrong`:
   * ask for the code again.
   */
  async completeSecondFactor(mfaToken: string, code: string, request: RequestContext): Promise<User | 'expired' | 'wrong'> {
    const challenge = await this.mfa.findChallenge(mfaToken);
    const user = challenge && (await this.usersService.findById(challenge.userId));
    if (!user || user.credentialsVersion !== challenge.credentialsVersion || !user.totpEnabled) return 'expired';
    if (!(await this.verifySecondFactor(user, code.trim(), request, true))) return 'wrong';
    return (await this.mfa.spendChallenge(mfaToken)) ? user : 'expired';
  }

  /**
   * POST /auth/mfa/totp/confirm: the first code of a pending enrolment,
   * counted on the login throttle (per username and address, address,
   * account) and on the enrolment itself (MfaService), both before the code
   * is checked. A try that checked no code (no enrolment left) costs nothing.
   */
  async confirmTotp(user: User, code: string, request: RequestContext): Promise<EnrolmentConfirmation> {
    const [confirmation, attempt] = await this.throttled(user.username, request, () => this.mfa.confirmEnrolment(user.id, code));
    const { outcome } = confirmation;
    if (outcome === 'confirmed') await attempt.succeeded();
    if (outcome === 'no-enrolment') await attempt.notChecked();
    if (outcome === 'confirmed') raiseSecurityEvent(this.events, { type: 'mfa.enabled', actorId: user.id, subjectId: user.id, request, details: { factor: 'totp' } });
    else if (outcome !== 'no-enrolment') raiseSecurityEvent(this.events, { type: 'mfa.enabled', outcome: 'failure', actorId: user.id, subjectId: user.id, request, details: { factor: 'totp', reason: outcome } });
    return confirmation;
  }

  /**
   * One attempt through the login throttle, for a password and a code alike:
   * counted before `check` runs (429 when none is left), and given back when
   * `check` fails before anything was checked (the hashing pool refused it,
   * the database failed). The caller settles it by the outcome.
   */
  private async throttled<T>(username: string, request: RequestContext, check: () => Promise<T>): Promise<[T, CountedLogin]> {
    const attempt = await this.loginThrottle.consumeLoginAttempt(username, request);
    try {
      return [await check(), attempt];
    } catch (error) {
      await attempt.notChecked();
      throw error;
    }
  }

  /**
   * The user whose password this is, or null (with the id of the account the
   * name belongs to, if any, for the record). Input that breaks the account
   * rules cannot match and costs no database or hash work; otherwise an
   * unknown user costs the same bcrypt comparisons as a wrong password, so
   * timing tells nothing. A hash stored at another cost than BCRYPT_ROUNDS, or
   * made from the password as typed before passwords were normalised (NFKC),
   * is replaced on the way, so accounts follow as they log in.
   */
  private async verifyCredentials(username: string, password: string, clientAddress: string): Promise<CheckedCredentials> {
    if (!isValidUsername(username) || !isValidPassword(password)) return { user: null, accountId: null };
    const user = await this.usersService.findByUsername(username);
    const accountId = user?.id ?? null;
    const match = await this.passwordsService.verifyPassword(password, user?.passwordHash, clientAddress);
    if (!match || !user) return { user: null, accountId };
    if (match.rehash) await this.rehash(user, password);
    return { user, accountId };
  }

  /**
   * The same password, hashed again in its normalised form at BCRYPT_ROUNDS.
   * Not a password change: the credentials version stays and no session ends,
   * and the write is conditional on the hash just verified, so a password
   * changed meanwhile is never overwritten. Best effort: the password was
   * right, so a busy hashing pool or database must not fail the login; the
   * next one tries again.
   */
  private async rehash(user: User, password: string): Promise<void> {
    try {
      await this.usersService.replacePasswordHash(user.id, user.passwordHash, await this.passwordsService.hashPassword(password));
    } catch (error) {
      this.logger.warn(`could not rehash the password of user ${user.id}: ${(error as Error).message}`);
    }
  }

}
