import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { BEARER_CHALLENGE } from '../http/authentication-challenges.js';
import { AuthenticationFailedException } from '../http/authentication-failed.exception.js';

/** The RFC 6749 §5.2 error codes the token and revoke endpoints answer with. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_grant' | 'unsupported_grant_type' | 'mfa_required';

const STATUS_OF: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  unsupported_grant_type: 400,
  invalid_grant: 401,
  // The password was right; the account needs a second factor (the answer carries the mfa_token).
  mfa_required: 403,
};

/** The body keeps Nest's shape ({statusCode, message, error}) with `error` as the OAuth2 code. */
function oauthBody(code: OAuthErrorCode, description: string | string[], extra: Record<string, unknown>) {
  const text = Array.isArray(description) ? description.join('; ') : description;
  return { statusCode: STATUS_OF[code], error: code, error_description: text, message: description, ...extra };
}

export function oauthError(code: OAuthErrorCode, description: string | string[], extra: Record<string, unknown> = {}): HttpException {
  const body = oauthBody(code, description, extra);
  if (STATUS_OF[code] === 401) return new AuthenticationFailedException(body.error_description, [BEARER_CHALLENGE], body);
  return new HttpException(body, STATUS_OF[code], { description: STATUS_CODES[STATUS_OF[code]] });
}
