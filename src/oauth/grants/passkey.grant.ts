import { Injectable } from '@nestjs/common';
import { PasskeyLoginService } from '../../passkeys/passkey-login.service.js';
import type { TokenResponseDto } from '../dto/token-response.dto.js';
import { grantError, oauthError } from '../oauth-error.exception.js';
import { PasskeyGrantDto } from './dto/passkey-grant.dto.js';
import type { GrantContext, GrantHandler } from './grant-handler.js';
import { grantedScopes } from './scopes.js';
import { TokenIssuer } from './token-issuer.service.js';

/** Signing in with a passkey at the token endpoint: a URN of our own, as RFC 6749 §4.5 asks of extension grants. */
export const PASSKEY_GRANT_TYPE = 'urn:gatehouse:params:oauth:grant-type:passkey';

const INVALID_PASSKEY = 'The passkey sign-in failed: the challenge is unknown, expired or spent, or the passkey is unknown, or its answer does not verify.';

/**
 * A passkey sign-in (WebAuthn §7.2) for first-party apps, beside the
 * password grant: the `challengeId` of the sign-in options and the answer of
 * navigator.credentials.get(). Phishing-resistant multi-factor in one step
 * (OAUTH.md): `amr` `hwk` or `swk`, plus `user` when the authenticator
 * verified the person; no TOTP step follows.
 */
@Injectable()
export class PasskeyGrant implements GrantHandler<PasskeyGrantDto> {
  readonly grantType = PASSKEY_GRANT_TYPE;
  readonly parameters = PasskeyGrantDto;
  readonly withoutClient = true;
  readonly summary = `\`${PASSKEY_GRANT_TYPE}\`: \`challengeId\` of POST /auth/passkeys/authentication/options and \`response\`, the JSON of navigator.credentials.get().`;

  constructor(
    private readonly passkeyLogin: PasskeyLoginService,
    private readonly issuer: TokenIssuer,
  ) {}

  async handle({ challengeId, response, scope }: PasskeyGrantDto, { client, request, dpop }: GrantContext): Promise<TokenResponseDto> {
    const scopes = client ? grantedScopes(client, scope, true) : null;
    const signIn = await this.passkeyLogin.signIn(challengeId, parseJson(response), request);
    if (!signIn) throw grantError(INVALID_PASSKEY, client);
    const details = { amr: signIn.amr.join(' '), authTime: new Date(), scope: scopes?.join(' ') ?? null };
    return this.issuer.startSession(signIn.user, request, { client, details, dpop }, INVALID_PASSKEY);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw oauthError('invalid_request', 'response must be the JSON text of the credential navigator.credentials.get() returned.');
  }
}
