import { BadRequestException, Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { isValidPassword, isValidUsername, type Role } from '../account-rules/account-rules.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { ChangePasswordDto } from './dto/change-password.dto.js';
import type { RegisterDto } from './dto/register.dto.js';
import type { TokenRequestDto } from './dto/token-request.dto.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import { oauthError } from './oauth-error.exception.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordsService } from '../passwords/passwords.service.js';
import { PasswordPolicyService } from '../password-policy/password-policy.service.js';
import { RefreshTokensService } from './refresh-tokens.service.js';
import { AccessTokensService } from '../tokens/access-tokens.service.js';
import { VerifiedCredentialsCache } from './verified-credentials.cache.js';
import type { ClientContext } from '../http/client-context.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { MFA_TOKEN_TTL_SECONDS, MfaService } from '../mfa/mfa.service.js';
import { AuthenticationFailedException } from '../http/authentication-failed.exception.js';
import { BASIC_CHALLENGE, BEARER_CHALLENGE } from '../http/authentication-challenges.js';
import { MFA_GRANT_TYPE } from './dto/token-request.dto.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { EmailVerificationService } from './email-verification.service.js';
import { EMAIL_OFF } from './guards/email-enabled.guard.js';

const INVALID_CREDENTIALS = 'Invalid username or password.';
const INVALID_REFRESH_TOKEN = 'The refresh token is invalid, expired or revoked.';
const INVALID_MFA = 'The mfa_token is invalid, expired or spent, or the code is wrong.';
export const BASIC_WITH_TWO_FACTOR =
  'This account uses two-factor authentication, which HTTP Basic cannot carry: get a token from POST /auth/token (password, then the code).';

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
    private readonly emailVerification: EmailVerificationService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /**
   * POST /auth: a `user` account, limited per client address. The attempt is
   * counted before the policy runs, so its online check cannot be driven
   * faster than registrations are allowed. An address given is mailed a
   * verification (in the background).
   */
  async register(account: RegisterDto, clientAddress: string): Promise<User> {
    if (account.email != null && !this.config.mail.enabled) throw new BadRequestException(`email: ${EMAIL_OFF}`);
    await this.loginThrottle.consumeRegistration(clientAddress);
    await this.passwordPolicy.enforce(account.password, account.username, 'password');
    const user = await this.createAccount(account, 'user', clientAddress);
    if (user.email) await this.emailVerification.mailVerification(user);
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
  async authenticate(username: string, password: string, clientAddress: string): Promise<User | null> {
    const attempt = await this.loginThrottle.consumeLoginAttempt(username, clientAddress);
    let user: User | null;
    try {
      user = await this.verifyCredentials(username, password, clientAddress);
    } catch (error) {
      // Refused by the hashing pool (429/503), or the database failed: no password was checked.
      await attempt.notChecked();
      throw error;
    }
    if (user) await attempt.succeeded();
    return user;
  }

  /**
   * Basic authentication: verified credentials are remembered for a minute
   * (VerifiedCredentialsCache), so a client sending them on every request
   * costs one bcrypt, not one per request.
   */
  async authenticateBasic(username: string, password: string, clientAddress: string): Promise<User | null> {
    const cachedUserId = this.verifiedCredentials.lookup(username, password);
    if (cachedUserId !== undefined) {
      const user = await this.usersService.findById(cachedUserId);
      if (user) return this.withoutSecondFactor(user);
    }
    // Taken before the user is read: a change during the check keeps the pair out of the cache.
    const changesBefore = this.verifiedCredentials.changeCount();
    const user = await this.authenticate(username, password, clientAddress);
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
   * codes are throttled per account and address like passwords.
   */
  async verifySecondFactor(user: User, code: string, clientAddress: string): Promise<boolean> {
    const attempt = await this.loginThrottle.consumeLoginAttempt(user.username, clientAddress);
    const accepted = await this.mfa.verifyCode(user.id, code);
    if (accepted) await attempt.succeeded();
    return accepted !== null;
  }

  /**
   * The user whose password this is, or null. Input that breaks the account
   * rules cannot match and costs no database or hash work; otherwise an
   * unknown user costs the same bcrypt comparison as a wrong password, so
   * timing tells nothing. A hash stored at another cost than BCRYPT_ROUNDS is
   * replaced on the way, so accounts follow a change of the cost as they log in.
   */
  private async verifyCredentials(username: string, password: string, clientAddress: string): Promise<User | null> {
    if (!isValidUsername(username) || !isValidPassword(password)) return null;
    const user = await this.usersService.findByUsername(username);
    if (!(await this.passwordsService.verifyPassword(password, user?.passwordHash, clientAddress)) || !user) return null;
    if (this.passwordsService.needsRehash(user.passwordHash)) await this.rehash(user, password);
    return user;
  }

  /** Best effort: the password was right, so a busy hashing pool or database must not fail the login; the next one tries again. */
  private async rehash(user: User, password: string): Promise<void> {
    try {
      await this.usersService.replacePasswordHash(user.id, user.passwordHash, await this.passwordsService.hashPassword(password));
    } catch (error) {
      this.logger.warn(`could not rehash the password of user ${user.id} at the new cost: ${(error as Error).message}`);
    }
  }

  /** POST /auth/token: dispatches on grant_type (RFC 6749 §4.3 and §6). */
  async grantToken(request: TokenRequestDto, client: ClientContext): Promise<TokenResponseDto> {
    const grantType = request.grant_type ?? 'password';
    if (grantType === 'password') return this.passwordGrant(request.username!, request.password!, client);
    if (grantType === 'refresh_token') return this.refreshTokenGrant(request.refresh_token!, client);
    if (grantType === MFA_GRANT_TYPE) return this.mfaGrant(request.mfa_token!, (request.otp ?? request.recovery_code)!, client);
    throw oauthError('unsupported_grant_type', `The grant type "${grantType}" is not supported; use "password", "refresh_token" or "${MFA_GRANT_TYPE}".`);
  }

  /**
   * POST /auth/revoke (RFC 7009): a refresh token ends the login it belongs
   * to; an access token is refused by its jti until it expires. The hint only
   * says which to try first; an unknown token is no error.
   */
  async revoke(token: string, hint?: string): Promise<void> {
    if (hint === 'access_token' && (await this.accessTokens.revoke(token))) return;
    await this.refreshTokensService.revoke(token);
    if (hint !== 'access_token' && token.includes('.')) await this.accessTokens.revoke(token);
  }

  /**
   * PUT /auth/password. The new hash and a new credentials version are one
   * write, which ends every session at once, including one a login is
   * creating right now with the old password; the sessions are then marked
   * revoked as well. Caches on every instance are cleared before the 204.
   */
  async changePassword(user: User, { currentPassword, newPassword }: ChangePasswordDto, clientAddress: string): Promise<void> {
    // Guessing the current password with a stolen token is a login attempt too.
    if (!(await this.authenticate(user.username, currentPassword, clientAddress))) {
      throw new UnauthorizedException('The current password is wrong.');
    }
    await this.storeNewPassword(user.id, await this.hashNewPassword(user, newPassword, clientAddress));
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

  private async passwordGrant(username: string, password: string, client: ClientContext): Promise<TokenResponseDto> {
    const user = await this.authenticate(username, password, client.address);
    if (user?.totpEnabled) {
      throw oauthError('mfa_required', `Two-factor authentication is on: send the mfa_token with a code (grant_type=${MFA_GRANT_TYPE}).`, {
        mfa_token: await this.mfa.createChallenge(user),
        mfa_token_expires_in: MFA_TOKEN_TTL_SECONDS,
      });
    }
    return this.startSession(user, client, INVALID_CREDENTIALS);
  }

  /**
   * The second step: a live mfa_token (from a password check under the
   * credentials the user still has) and a code. The code is checked (and
   * throttled) before the token is spent, so a typo does not cost the login;
   * the token is then spent by one conditional write: one grant per token.
   */
  private async mfaGrant(mfaToken: string, code: string, client: ClientContext): Promise<TokenResponseDto> {
    const challenge = await this.mfa.findChallenge(mfaToken);
    const user = challenge && (await this.usersService.findById(challenge.userId));
    if (!user || user.credentialsVersion !== challenge.credentialsVersion || !user.totpEnabled) throw oauthError('invalid_grant', INVALID_MFA);
    if (!(await this.verifySecondFactor(user, code, client.address)) || !(await this.mfa.spendChallenge(mfaToken))) throw oauthError('invalid_grant', INVALID_MFA);
    return this.startSession(user, client, INVALID_MFA);
  }

  /** A new session and its tokens; the user may be deleted between the check and the session: then, too, no grant. */
  private async startSession(user: User | null, client: ClientContext, refusal: string): Promise<TokenResponseDto> {
    const issued = user ? await this.refreshTokensService.issue(user, client) : null;
    if (!user || !issued) throw oauthError('invalid_grant', refusal);
    return this.issueTokens(user, issued.refreshToken, issued.sessionId);
  }

  private async refreshTokenGrant(refreshToken: string, client: ClientContext): Promise<TokenResponseDto> {
    const rotation = await this.refreshTokensService.rotate(refreshToken, client);
    const user = rotation.ok ? await this.usersService.findById(rotation.userId) : null;
    if (!rotation.ok || !user) throw oauthError('invalid_grant', INVALID_REFRESH_TOKEN);
    return this.issueTokens(user, rotation.next, rotation.sessionId);
  }

  private async issueTokens(user: User, refreshToken: string, sessionId: string): Promise<TokenResponseDto> {
    const { accessToken, expiresIn } = await this.accessTokens.sign(user, sessionId);
    return { access_token: accessToken, token_type: 'bearer', expires_in: expiresIn, refresh_token: refreshToken };
  }
}
