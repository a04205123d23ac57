import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { LoginService } from '../../login/login.service.js';
import { MfaService } from '../../mfa/mfa.service.js';
import { UsersService } from '../../users/users.service.js';
import type { TokenResponseDto } from '../dto/token-response.dto.js';
import { grantError } from '../oauth-error.exception.js';
import { MfaGrantDto } from './dto/mfa-grant.dto.js';
import type { GrantContext, GrantHandler } from './grant-handler.js';
import { grantedScopes } from './scopes.js';
import { TokenIssuer } from './token-issuer.service.js';

/** The second step of a login with two-factor: a URN of our own, as RFC 6749 §4.5 asks of extension grants. */
export const MFA_GRANT_TYPE = 'urn:gatehouse:params:oauth:grant-type:mfa-otp';

const INVALID_MFA = 'The mfa_token is invalid, expired or spent, or the code is wrong.';

/**
 * A live mfa_token (from a password check under the credentials the user
 * still has) and a code. The code is checked (and throttled) before the token
 * is spent, so a typo does not cost the login; the token is then spent by one
 * conditional write: one grant per token.
 */
@Injectable()
export class MfaGrant implements GrantHandler<MfaGrantDto> {
  readonly grantType = MFA_GRANT_TYPE;
  readonly parameters = MfaGrantDto;
  readonly withoutClient = true;
  readonly summary = `\`${MFA_GRANT_TYPE}\`: the \`mfa_token\` of the password grant’s 403 and \`otp\` (or \`recovery_code\`).`;

  constructor(
    private readonly login: LoginService,
    private readonly mfa: MfaService,
    private readonly usersService: UsersService,
    private readonly issuer: TokenIssuer,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /** The second half of the password grant: off with it. */
  isEnabled(): boolean {
    return this.config.oauth.passwordGrant;
  }

  async handle({ mfa_token: mfaToken, otp, recovery_code: recoveryCode, scope }: MfaGrantDto, { client, request, dpop }: GrantContext): Promise<TokenResponseDto> {
    const scopes = client ? grantedScopes(client, scope, true) : null;
    const challenge = await this.mfa.findChallenge(mfaToken);
    const user = challenge && (await this.usersService.findById(challenge.userId));
    if (!user || user.credentialsVersion !== challenge.credentialsVersion || !user.totpEnabled) throw grantError(INVALID_MFA, client);
    if (!(await this.login.verifySecondFactor(user, (otp ?? recoveryCode)!, request, true)) || !(await this.mfa.spendChallenge(mfaToken))) throw grantError(INVALID_MFA, client);
    const details = { amr: 'pwd otp mfa', authTime: new Date(), scope: scopes?.join(' ') ?? null };
    return this.issuer.startSession(user, request, { client, details, dpop }, INVALID_MFA);
  }
}
