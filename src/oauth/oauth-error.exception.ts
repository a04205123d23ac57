import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { BASIC_CHALLENGE, BEARER_CHALLENGE, INVALID_TOKEN_CHALLENGE } from '../http/authentication-challenges.js';
import { AuthenticationFailedException } from '../http/authentication-failed.exception.js';

/** The RFC 6749 §5.2 error codes (and RFC 8707's invalid_target) the token, revocation and introspection endpoints answer with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'mfa_required'
  // RFC 7591 §3.2.2 (registration) and RFC 6750 §3.1 (a bad registration access token, RFC 7592 §2).
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_token'
  // RFC 9449 §5, §8: a refused DPoP proof, and the server's demand for its nonce.
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

const STATUS_OF: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  // RFC 8628 §3.5: the person declined (a device-flow poll answer).
  access_denied: 400,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  // RFC 6749 §5.2 says 400; the password grant keeps the 401 it has always answered (OAUTH.md, "Token endpoint"): see grantError.
  invalid_grant: 400,
  // The password was right; the account needs a second factor (the answer carries the mfa_token).
  mfa_required: 403,
  invalid_client_metadata: 400,
  invalid_redirect_uri: 400,
  invalid_token: 401,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
};

/** The body keeps Nest's shape ({statusCode, message, error}) with `error` as the OAuth2 code. */
function oauthBody(code: OAuthErrorCode, status: number, description: string | string[], extra: Record<string, unknown>) {
  const text = Array.isArray(description) ? description.join('; ') : description;
  return { statusCode: status, error: code, error_description: text, message: description, ...extra };
}

export interface OAuthErrorOptions {
  /** Another status than RFC 6749's for this code (the legacy grants' 401 invalid_grant). */
  status?: number;
  /** invalid_client after Basic client credentials: RFC 6749 §5.2 asks for a Basic challenge. */
  basicChallenge?: boolean;
}

export function oauthError(code: OAuthErrorCode, description: string | string[], extra: Record<string, unknown> = {}, options: OAuthErrorOptions = {}): HttpException {
  const status = options.status ?? STATUS_OF[code];
  const body = oauthBody(code, status, description, extra);
  if (status === 401) return new AuthenticationFailedException(body.error_description, [code === 'invalid_token' ? INVALID_TOKEN_CHALLENGE : options.basicChallenge ? BASIC_CHALLENGE : BEARER_CHALLENGE], body);
  return new HttpException(body, status, { description: STATUS_CODES[status] });
}

/**
 * invalid_grant as the first-party grants (password, refresh_token, MFA, with
 * no client) have always answered it, 401; for a client, RFC 6749 §5.2's 400.
 */
export function grantError(description: string, client: { clientId: string } | null): HttpException {
  return oauthError('invalid_grant', description, {}, client ? {} : { status: 401 });
}
