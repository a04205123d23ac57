import { BadRequestException, ConflictException, Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { isValidPassword, isValidUsername, type Role } from '../account-rules/account-rules.js';
import type { User } from '../users/entities/user.entity.js';
import { EMAIL_TAKEN, UsersService } from '../users/users.service.js';
import type { ChangePasswordDto } from './dto/change-password.dto.js';
import type { RegisterDto } from './dto/register.dto.js';
import { MFA_GRANT_TYPE, type TokenRequestDto } from './dto/token-request.dto.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import { oauthError } from './oauth-error.exception.js';
import { LoginThrottleService, type CountedLogin } from './login-throttle.service.js';
import { PasswordsService } from '../passwords/passwords.service.js';
import { RefreshTokensService } from './refresh-tokens.service.js';
import { AccessTokensService } from '../tokens/access-tokens.service.js';
import { VerifiedCredentialsCache } from './verified-credentials.cache.js';
import type { RequestContext } from '../http/request-context.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';
import { PasswordPolicyService } from '../password-policy/password-policy.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { MFA_TOKEN_TTL_SECONDS, MfaService, type EnrolmentConfirmation } from '../mfa/mfa.service.js';
import { AuthenticationFailedException } from '../http/authentication-failed.exception.js';
import { BASIC_CHALLENGE, BEARER_CHALLENGE } from '../http/authentication-challenges.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { EmailVerificationService } from './email-verification.service.js';
import { EMAIL_OFF } from './guards/email-enabled.guard.js';

/** How a credential was presented: the token endpoint, a Basic header, the current password of a password change or an enrolment, or a second-factor code. */
export type LoginMethod = 'password' | 'basic' | 'current-password' | 'second-factor';

const INVALID_CREDENTIALS = 'Invalid username or password.';
const INVALID_REFRESH_TOKEN = 'The refresh token is invalid, expired or revoked.';
const INVALID_MFA = 'The mfa_token is invalid, expired or spent, or the code is wrong.';
export const BASIC_WITH_TWO_FACTOR =
  'This account uses two-factor authentication, which HTTP Basic cannot carry: get a token from POST /auth/token (password, then the code).';

/** A password check: the user when it matched, and the account the name belongs to either way (null: no such account). */
interface CheckedCredentials {
  user: User | null;
  accountId: number | null;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly usersService: UsersService,
    private readonly passwordsService: PasswordsService,
    private readonly accessTokens: AccessTokensService,
    private readonly refreshTokensService: RefreshTokensService,
    private readonly loginThrottle: LoginThrottleService,
    private readonly verifiedCredentials: VerifiedCredentialsCache,
    private readonly sessions: SessionsService,
    private readonly mfa: MfaService,
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
   * verification (in the background).
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
        const reason = error.message === EMAIL_TAKEN ? 'email-taken' : 'username-taken';
        raiseSecurityEvent(this.events, { type: 'account.registered', outcome: 'failure', request, details: { ...details, reason } });
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
    if (user) raiseSecurityEvent(this.events, { type: 'login', actorId: user.id, subjectId: user.id, request, details });
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
      raiseSecurityEvent(this.events, { type: 'login', actorId: user.id, subjectId: user.id, request, details: { ...details, factor: accepted } });
      if (accepted === 'recovery') raiseSecurityEvent(this.events, { type: 'mfa.recovery-code-used', actorId: user.id, subjectId: user.id, request });
    } else {
      raiseSecurityEvent(this.events, { type: 'login', outcome: 'failure', subjectId: user.id, request, details });
    }
    return accepted !== null;
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
   * unknown user costs the same bcrypt comparison as a wrong password, so
   * timing tells nothing. A hash stored at another cost than BCRYPT_ROUNDS is
   * replaced on the way, so accounts follow a change of the cost as they log in.
   */
  private async verifyCredentials(username: string, password: string, clientAddress: string): Promise<CheckedCredentials> {
    if (!isValidUsername(username) || !isValidPassword(password)) return { user: null, accountId: null };
    const user = await this.usersService.findByUsername(username);
    const accountId = user?.id ?? null;
    if (!(await this.passwordsService.verifyPassword(password, user?.passwordHash, clientAddress)) || !user) return { user: null, accountId };
    if (this.passwordsService.needsRehash(user.passwordHash)) await this.rehash(user, password);
    return { user, accountId };
  }

  /** Best effort: the password was right, so a busy hashing pool or database must not fail the login; the next one tries again. */
  private async rehash(user: User, password: string): Promise<void> {
    try {
      await this.usersService.replacePasswordHash(user.id, user.passwordHash, await this.passwordsService.hashPassword(password));
    } catch (error) {
      this.logger.warn(`could not rehash the password of user ${user.id} at the new cost: ${(error as Error).message}`);
    }
  }

  /** POST /auth/token: dispatches on grant_type (RFC 6749 §4.3 and §6, and the two-factor grant). */
  async grantToken(body: TokenRequestDto, request: RequestContext): Promise<TokenResponseDto> {
    const grantType = body.grant_type ?? 'password';
    if (grantType === 'password') return this.passwordGrant(body.username!, body.password!, request);
    if (grantType === 'refresh_token') return this.refreshTokenGrant(body.refresh_token!, request);
    if (grantType === MFA_GRANT_TYPE) return this.mfaGrant(body.mfa_token!, (body.otp ?? body.recovery_code)!, request);
    throw oauthError('unsupported_grant_type', `The grant type "${grantType}" is not supported; use "password", "refresh_token" or "${MFA_GRANT_TYPE}".`);
  }

  /**
   * POST /auth/revoke (RFC 7009): a refresh token ends the login it belongs
   * to, its access tokens included; an access token is refused by its jti
   * until it expires. The hint only says which to try first; an unknown token
   * is no error.
   */
  async revoke(token: string, hint: string | undefined, request: RequestContext): Promise<void> {
    const revokedAccessToken = async () => {
      const claims = await this.accessTokens.revoke(token);
      if (claims) raiseSecurityEvent(this.events, { type: 'token.revoked', subjectId: Number(claims.sub), request, details: { tokenType: 'access_token', jti: claims.jti } });
      return claims !== null;
    };
    if (hint === 'access_token' && (await revokedAccessToken())) return;
    const session = await this.refreshTokensService.revoke(token);
    if (session) raiseSecurityEvent(this.events, { type: 'token.revoked', subjectId: session.userId, request, details: { tokenType: 'refresh_token', sessionId: session.sessionId } });
    if (hint !== 'access_token' && token.includes('.')) await revokedAccessToken();
  }

  /**
   * PUT /auth/password. The new hash and a new credentials version are one
   * write, which ends every session at once, including one a login is
   * creating right now with the old password; the sessions are then marked
   * ended as well. Caches on every instance are cleared before the 204.
   */
  async changePassword(user: User, { currentPassword, newPassword }: ChangePasswordDto, request: RequestContext): Promise<void> {
    // Guessing the current password with a stolen token is a login attempt too.
    if (!(await this.authenticate(user.username, currentPassword, request, 'current-password'))) {
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

  private async passwordGrant(username: string, password: string, request: RequestContext): Promise<TokenResponseDto> {
    const user = await this.authenticate(username, password, request, 'password');
    if (user?.totpEnabled) {
      throw oauthError('mfa_required', `Two-factor authentication is on: send the mfa_token with a code (grant_type=${MFA_GRANT_TYPE}).`, {
        mfa_token: await this.mfa.createChallenge(user),
        mfa_token_expires_in: MFA_TOKEN_TTL_SECONDS,
      });
    }
    return this.startSession(user, request, INVALID_CREDENTIALS);
  }

  /**
   * The second step: a live mfa_token (from a password check under the
   * credentials the user still has) and a code. The code is checked (and
   * throttled) before the token is spent, so a typo does not cost the login;
   * the token is then spent by one conditional write: one grant per token.
   */
  private async mfaGrant(mfaToken: string, code: string, request: RequestContext): Promise<TokenResponseDto> {
    const challenge = await this.mfa.findChallenge(mfaToken);
    const user = challenge && (await this.usersService.findById(challenge.userId));
    if (!user || user.credentialsVersion !== challenge.credentialsVersion || !user.totpEnabled) throw oauthError('invalid_grant', INVALID_MFA);
    if (!(await this.verifySecondFactor(user, code, request, true)) || !(await this.mfa.spendChallenge(mfaToken))) throw oauthError('invalid_grant', INVALID_MFA);
    return this.startSession(user, request, INVALID_MFA);
  }

  /** A new session and its tokens; the user may be deleted between the check and the session: then, too, no grant. */
  private async startSession(user: User | null, request: RequestContext, refusal: string): Promise<TokenResponseDto> {
    const issued = user ? await this.refreshTokensService.issue(user, request) : null;
    if (!user || !issued) throw oauthError('invalid_grant', refusal);
    return this.issueTokens(user, issued.refreshToken, { id: issued.sessionId, expiresAt: issued.sessionExpiresAt });
  }

  /** A spent token presented again is theft or a client bug: its session is ended, and the trail says whose. */
  private async refreshTokenGrant(refreshToken: string, request: RequestContext): Promise<TokenResponseDto> {
    const rotation = await this.refreshTokensService.rotate(refreshToken, request);
    if (!rotation.ok && rotation.reason === 'reused') {
      raiseSecurityEvent(this.events, { type: 'refresh-token.reused', outcome: 'failure', subjectId: rotation.userId, request, details: { sessionId: rotation.sessionId } });
    }
    const user = rotation.ok ? await this.usersService.findById(rotation.userId) : null;
    if (!rotation.ok || !user) throw oauthError('invalid_grant', INVALID_REFRESH_TOKEN);
    return this.issueTokens(user, rotation.next, { id: rotation.sessionId, expiresAt: rotation.sessionExpiresAt });
  }

  /** The access token never outlives the session (`exp` and `expires_in` stop at its absolute end), whichever grant issues it. */
  private async issueTokens(user: User, refreshToken: string, session: { id: string; expiresAt: Date }): Promise<TokenResponseDto> {
    const { accessToken, expiresIn } = await this.accessTokens.sign(user, session);
    return { access_token: accessToken, token_type: 'bearer', expires_in: expiresIn, refresh_token: refreshToken };
  }
}
