import { ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636 §4.3; OIDC
 * Core §3.1.2.1; RFC 8707). Every parameter is read as it came and checked by
 * AuthorizationService in the order that decides where an error goes (a 400
 * page until the redirect URI is known, the redirect URI afterwards);
 * unknown parameters are ignored (RFC 6749 §3.1).
 */
export class AuthorizationRequestDto {
  @ApiPropertyOptional({ example: 'code', description: '`code` only.' })
  response_type?: unknown;

  @ApiPropertyOptional({ example: 'k3Jd8sQe0aLx2vPz7Yt1Rw' })
  client_id?: unknown;

  @ApiPropertyOptional({ example: 'https://app.example.com/callback', description: 'Exactly as registered; may be left out when the client has exactly one.' })
  redirect_uri?: unknown;

  @ApiPropertyOptional({ example: 'openid profile' })
  scope?: unknown;

  @ApiPropertyOptional({ example: 'af0ifjsldkj', description: 'Comes back unchanged.' })
  state?: unknown;

  @ApiPropertyOptional({ example: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', description: 'BASE64URL(SHA-256(code_verifier)).' })
  code_challenge?: unknown;

  @ApiPropertyOptional({ example: 'S256', description: '`S256` only.' })
  code_challenge_method?: unknown;

  @ApiPropertyOptional({ example: 'n-0S6_WzA2Mj' })
  nonce?: unknown;

  @ApiPropertyOptional({ example: 'login', description: '`none`, `login`, `consent` (space-separated; `none` alone).' })
  prompt?: unknown;

  @ApiPropertyOptional({ example: '3600', description: 'Seconds since the last login beyond which the person must log in again.' })
  max_age?: unknown;

  @ApiPropertyOptional({ example: 'alice', description: 'Prefills the username.' })
  login_hint?: unknown;

  @ApiPropertyOptional({ example: 'https://api.example.com', description: 'RFC 8707: the resource the tokens are for.' })
  resource?: unknown;

  @ApiPropertyOptional({ example: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', description: 'RFC 9449 §10: the JWK SHA-256 thumbprint of the DPoP key the code is bound to; the token request must carry a proof of that key.' })
  dpop_jkt?: unknown;
}

/** The parameters the hosted pages carry from one step to the next, as hidden fields: the validated request, re-checked at every step. */
export const AUTHORIZATION_PARAMETERS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'prompt',
  'max_age',
  'login_hint',
  'resource',
  'dpop_jkt',
] as const;
