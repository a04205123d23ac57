import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { BEARER_CHALLENGE } from '../http/authentication-challenges.js';
import { AuthenticationFailedException } from '../http/authentication-failed.exception.js';

/** The RFC 6749 §5.2 error codes (and RFC 8628's, and Gatehouse's `mfa_required`) the token, revoke and introspection endpoints answer with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'mfa_required';

const STATUS_OF: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  // RFC 6749 §5.2: the client failed to authenticate; 401 with a challenge (RFC 6749 §5.2, RFC 9110 §15.5.2).
  invalid_client: 401,
  invalid_grant: 401,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  // RFC 8628 §3.5: the person declined (a device-flow poll answer).
  access_denied: 400,
  // The password was right; the account needs a second factor (the answer carries the mfa_token).
  mfa_required: 403,
};

/** The body keeps Nest's shape ({statusCode, message, error}) with `error` as the OAuth2 code. */
function oauthBody(code: OAuthErrorCode, description: string | string[], extra: Record<string, unknown>) {
  const text = Array.isArray(description) ? description.join('; ') : description;
  return { statusCode: STATUS_OF[code], error: code, error_description: text, message: description, ...extra };
}

/**
 * An OAuth2 error answer. A 401 carries `challenges` in WWW-Authenticate:
 * Bearer by default; `invalid_client` after Basic client credentials must
 * answer with the Basic challenge instead (RFC 6749 §5.2).
 */
export function oauthError(code: OAuthErrorCode, description: string | string[], extra: Record<string, unknown> = {}, challenges: string[] = [BEARER_CHALLENGE]): HttpException {
  const body = oauthBody(code, description, extra);
  if (STATUS_OF[code] === 401) return new AuthenticationFailedException(body.error_description, challenges, body);
  return new HttpException(body, STATUS_OF[code], { description: STATUS_CODES[STATUS_OF[code]] });
}
