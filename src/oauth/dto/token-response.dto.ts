import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class TokenResponseDto {
  @ApiProperty({ description: 'A JWT for `Authorization: Bearer …` (RFC 9068 `at+jwt` when issued to a client); with `token_type` DPoP, for `Authorization: DPoP …` with a proof of the same key (RFC 9449 §7).' })
  access_token: string;

  @ApiProperty({ example: 'bearer', enum: ['bearer', 'DPoP'], description: '`DPoP` when the request carried a valid DPoP proof: the access token is bound to its key (`cnf.jkt`).' })
  token_type: string;

  @ApiProperty({ description: 'Seconds until the access token expires.', example: 1800 })
  expires_in: number;

  @ApiPropertyOptional({ description: 'An opaque token for the refresh_token grant.' })
  refresh_token?: string;

  @ApiPropertyOptional({ description: 'The scopes granted, space-separated (tokens issued to a client).', example: 'openid profile' })
  scope?: string;

  @ApiPropertyOptional({
    description:
      'With `openid` granted (code exchange, and refreshes of such a session): an OpenID Connect ID token, signed with the asymmetric key published at jwks_uri (RS256 when JWT_ALGORITHM=HS256). Never an access token.',
  })
  id_token?: string;
}

/**
 * An OAuth error answer as Swagger UI shows it for one status: the DTO's
 * field examples are one answer (a 400), so each response says its own.
 */
export function oauthErrorExample(statusCode: 400 | 401 | 403, error: string, description: string): Record<string, unknown> {
  return { statusCode, error, error_description: description, message: description };
}

export class OAuthErrorDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'invalid_target', 'mfa_required'], example: 'invalid_request' })
  error: string;

  @ApiProperty({ example: 'grant_type must be a string' })
  error_description: string;

  @ApiProperty({ example: 'grant_type must be a string' })
  message: string | string[];
}

/** 403 from the password grant for an account with two-factor on: no tokens yet, an mfa_token for the second step. */
export class MfaRequiredDto extends OAuthErrorDto {
  @ApiProperty({ description: 'Single use, for the urn:gatehouse:params:oauth:grant-type:mfa-otp grant with a code.', example: 'bWZhLXRva2VuLWV4YW1wbGUtdmFsdWUtb2YtNDMtY2hhcnM' })
  mfa_token: string;

  @ApiProperty({ description: 'Seconds the mfa_token stays valid.', example: 300 })
  mfa_token_expires_in: number;
}
