import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { LoginService } from '../../login/login.service.js';
import { MFA_TOKEN_TTL_SECONDS, MfaService } from '../../mfa/mfa.service.js';
import type { TokenResponseDto } from '../dto/token-response.dto.js';
import { oauthError } from '../oauth-error.exception.js';
import { PasswordGrantDto } from './dto/password-grant.dto.js';
import type { GrantContext, GrantHandler } from './grant-handler.js';
import { MFA_GRANT_TYPE } from './mfa.grant.js';
import { grantedScopes } from './scopes.js';
import { TokenIssuer } from './token-issuer.service.js';

export const INVALID_CREDENTIALS = 'Invalid username or password.';

/**
 * RFC 6749 §4.3, kept for the first-party journey (the seed's form, Swagger
 * UI's password flow, requests with no client) while PASSWORD_GRANT is on;
 * RFC 9700 §2.4 says it MUST NOT be used otherwise, so a registered client
 * gets it only where an admin allowed it. An account with two-factor on gets
 * 403 mfa_required and an mfa_token for the second step (MfaGrant).
 */
@Injectable()
export class PasswordGrant implements GrantHandler<PasswordGrantDto> {
  readonly grantType = 'password';
  readonly parameters = PasswordGrantDto;
  readonly withoutClient = true;
  readonly summary = '`password` (or omitted): `username` and `password` (first-party; a client only where an admin allowed it).';

  constructor(
    private readonly login: LoginService,
    private readonly mfa: MfaService,
    private readonly issuer: TokenIssuer,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  isEnabled(): boolean {
    return this.config.oauth.passwordGrant;
  }

  async handle({ username, password, scope }: PasswordGrantDto, { client, request, dpop }: GrantContext): Promise<TokenResponseDto> {
    const scopes = client ? grantedScopes(client, scope, true) : null;
    const user = await this.login.authenticate(username, password, request, 'password');
    if (user?.totpEnabled) {
      throw oauthError('mfa_required', `Two-factor authentication is on: send the mfa_token with a code (grant_type=${MFA_GRANT_TYPE}).`, {
        mfa_token: await this.mfa.createChallenge(user),
        mfa_token_expires_in: MFA_TOKEN_TTL_SECONDS,
      });
    }
    const details = { amr: 'pwd', authTime: new Date(), scope: scopes?.join(' ') ?? null };
    return this.issuer.startSession(user, request, { client, details, dpop }, INVALID_CREDENTIALS);
  }
}
