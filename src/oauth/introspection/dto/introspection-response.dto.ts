import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLES, type Role } from '../../../account-rules/account-rules.js';

/** RFC 7662 §2.2. Inactive tokens get `{active: false}` and nothing else. */
export class IntrospectionResponseDto {
  @ApiProperty({ example: true })
  active: boolean;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token', 'DPoP'], example: 'access_token', description: '`DPoP` for a DPoP-bound access token (RFC 9449 §6.2), which is used only with a proof of the key in `cnf`.' })
  token_type?: 'access_token' | 'refresh_token' | 'DPoP';

  @ApiPropertyOptional({ example: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' }, description: 'RFC 9449 §6.2: the JWK SHA-256 thumbprint of the key a DPoP-bound token is bound to.' })
  cnf?: { jkt: string };

  @ApiPropertyOptional({ description: 'The user id; for a client_credentials token, the client_id', example: '1' })
  sub?: string;

  @ApiPropertyOptional({ description: 'The user’s current name (access tokens)', example: 'alice' })
  username?: string;

  @ApiPropertyOptional({ enum: ROLES, description: 'The user’s current role, not the one in the token (access tokens)', example: 'user' })
  role?: Role;

  @ApiPropertyOptional({ description: 'The client the token was issued to (RFC 7662 §2.2); absent for first-party tokens', example: 'k3Jd8sQe0aLx2vPz7Yt1Rw' })
  client_id?: string;

  @ApiPropertyOptional({ description: 'The scopes of a token issued to a client', example: 'openid profile' })
  scope?: string;

  @ApiPropertyOptional({ example: 1795930085 })
  exp?: number;

  @ApiPropertyOptional({ example: 1795928285 })
  iat?: number;

  @ApiPropertyOptional({ example: 'http://127.0.0.1:3000' })
  iss?: string;

  @ApiPropertyOptional({ example: 'gatehouse' })
  aud?: string | string[];

  @ApiPropertyOptional({ example: '0f8fad5b-d9cb-469f-a165-70867728950e' })
  jti?: string;
}
