import { Injectable } from '@nestjs/common';
import { isValidUsername, type Role } from '../users/account-rules.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { RegisterDto } from './dto/register.dto.js';
import type { TokenRequestDto } from './dto/token-request.dto.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import { oauthError } from './oauth-error.exception.js';
import { PasswordsService } from './passwords.service.js';
import { TokensService } from './tokens.service.js';

export const INVALID_CREDENTIALS = 'Invalid username or password.';

@Injectable()
export class AuthService {
  constructor(
    private readonly usersService: UsersService,
    private readonly passwordsService: PasswordsService,
    private readonly tokensService: TokensService,
  ) {}

  /** Registration over HTTP always makes a `user`; the admin bootstrap and the CLI may make admins. */
  async register({ username, password }: RegisterDto, role: Role = 'user'): Promise<User> {
    const passwordHash = await this.passwordsService.hashPassword(password);
    return this.usersService.create({ username, passwordHash, role });
  }

  /**
   * The user whose password this is, or null. An unknown user costs the same
   * bcrypt comparison as a wrong password, so timing tells nothing.
   */
  async verifyCredentials(username: string, password: string): Promise<User | null> {
    const user = isValidUsername(username) ? await this.usersService.findByUsername(username) : null;
    const matches = await this.passwordsService.verifyPassword(password, user?.passwordHash);
    return matches ? user : null;
  }

  /** POST /auth/token: dispatches on grant_type (RFC 6749 §4.3). */
  async grantToken(request: TokenRequestDto): Promise<TokenResponseDto> {
    const grantType = request.grant_type ?? 'password';
    if (grantType !== 'password') {
      throw oauthError('unsupported_grant_type', `The grant type "${grantType}" is not supported; use "password".`);
    }
    const user = await this.verifyCredentials(request.username!, request.password!);
    if (!user) throw oauthError('invalid_grant', INVALID_CREDENTIALS);
    return this.issueTokens(user);
  }

  private async issueTokens(user: User): Promise<TokenResponseDto> {
    const { accessToken, expiresIn } = await this.tokensService.signAccessToken(user);
    return { access_token: accessToken, token_type: 'bearer', expires_in: expiresIn };
  }
}
