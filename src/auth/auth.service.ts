import { Injectable, UnauthorizedException } from '@nestjs/common';
import { isValidPassword, isValidUsername, type Role } from '../users/account-rules.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { ChangePasswordDto } from './dto/change-password.dto.js';
import type { RegisterDto } from './dto/register.dto.js';
import type { TokenRequestDto } from './dto/token-request.dto.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import { oauthError } from './oauth-error.exception.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordsService } from './passwords.service.js';
import { RefreshTokensService } from './refresh-tokens.service.js';
import { TokensService } from './tokens.service.js';
import { VerifiedCredentialsCache } from './verified-credentials.cache.js';

const INVALID_CREDENTIALS = 'Invalid username or password.';
const INVALID_REFRESH_TOKEN = 'The refresh token is invalid, expired or revoked.';

@Injectable()
export class AuthService {
  constructor(
    private readonly usersService: UsersService,
    private readonly passwordsService: PasswordsService,
    private readonly tokensService: TokensService,
    private readonly refreshTokensService: RefreshTokensService,
    private readonly loginThrottle: LoginThrottleService,
    private readonly verifiedCredentials: VerifiedCredentialsCache,
  ) {}

  /** POST /auth: a `user` account, limited per client address. */
  async register(account: RegisterDto, clientAddress: string): Promise<User> {
    await this.loginThrottle.consumeRegistration(clientAddress);
    return this.createAccount(account, 'user');
  }

  /** Any account: for the admin bootstrap and the CLI as well as registration. */
  async createAccount({ username, password }: RegisterDto, role: Role): Promise<User> {
    const passwordHash = await this.passwordsService.hashPassword(password);
    return this.usersService.create({ username, passwordHash, role });
  }

  /**
   * A login attempt (password grant or Basic): refused with 429 when this
   * username or address failed too often, counted when it fails.
   */
  async authenticate(username: string, password: string, clientAddress: string): Promise<User | null> {
    await this.loginThrottle.assertLoginAllowed(username, clientAddress);
    const user = await this.verifyCredentials(username, password);
    if (user) await this.loginThrottle.recordSuccess(username, clientAddress);
    else await this.loginThrottle.recordFailure(username, clientAddress);
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
      if (user) return user;
    }
    const user = await this.authenticate(username, password, clientAddress);
    if (user) this.verifiedCredentials.remember(username, password, user.id);
    return user;
  }

  /**
   * The user whose password this is, or null. Input that breaks the account
   * rules cannot match and costs no database or hash work; otherwise an
   * unknown user costs the same bcrypt comparison as a wrong password, so
   * timing tells nothing.
   */
  private async verifyCredentials(username: string, password: string): Promise<User | null> {
    if (!isValidUsername(username) || !isValidPassword(password)) return null;
    const user = await this.usersService.findByUsername(username);
    const matches = await this.passwordsService.verifyPassword(password, user?.passwordHash);
    return matches ? user : null;
  }

  /** POST /auth/token: dispatches on grant_type (RFC 6749 §4.3 and §6). */
  async grantToken(request: TokenRequestDto, clientAddress: string): Promise<TokenResponseDto> {
    const grantType = request.grant_type ?? 'password';
    if (grantType === 'password') return this.passwordGrant(request.username!, request.password!, clientAddress);
    if (grantType === 'refresh_token') return this.refreshTokenGrant(request.refresh_token!);
    throw oauthError('unsupported_grant_type', `The grant type "${grantType}" is not supported; use "password" or "refresh_token".`);
  }

  /** POST /auth/revoke (RFC 7009): ends the login the refresh token belongs to. */
  revoke(token: string): Promise<void> {
    return this.refreshTokensService.revoke(token);
  }

  /** PUT /auth/password: every refresh token of the user is revoked, and the new hash stored. */
  async changePassword(user: User, { currentPassword, newPassword }: ChangePasswordDto, clientAddress: string): Promise<void> {
    // Guessing the current password with a stolen token is a login attempt too.
    if (!(await this.authenticate(user.username, currentPassword, clientAddress))) {
      throw new UnauthorizedException('The current password is wrong.');
    }
    const passwordHash = await this.passwordsService.hashPassword(newPassword);
    // Tokens first: a crash between the two writes leaves the old password and no sessions, never the reverse.
    await this.refreshTokensService.revokeAllForUser(user.id);
    await this.usersService.updatePasswordHash(user.id, passwordHash);
  }

  private async passwordGrant(username: string, password: string, clientAddress: string): Promise<TokenResponseDto> {
    const user = await this.authenticate(username, password, clientAddress);
    if (!user) throw oauthError('invalid_grant', INVALID_CREDENTIALS);
    return this.issueTokens(user, await this.refreshTokensService.issue(user.id));
  }

  private async refreshTokenGrant(refreshToken: string): Promise<TokenResponseDto> {
    const rotation = await this.refreshTokensService.rotate(refreshToken);
    const user = rotation.ok ? await this.usersService.findById(rotation.userId) : null;
    if (!rotation.ok || !user) throw oauthError('invalid_grant', INVALID_REFRESH_TOKEN);
    return this.issueTokens(user, rotation.next);
  }

  private async issueTokens(user: User, refreshToken: string): Promise<TokenResponseDto> {
    const { accessToken, expiresIn } = await this.tokensService.signAccessToken(user);
    return { access_token: accessToken, token_type: 'bearer', expires_in: expiresIn, refresh_token: refreshToken };
  }
}
