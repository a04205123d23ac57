import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLES, type Role } from '../../../account-rules/account-rules.js';

/** RFC 7662 §2.2. Inactive tokens get `{active: false}` and nothing else. */
export class IntrospectionResponseDto {
  @ApiProperty({ example: true })
  active: boolean;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'], example: 'access_token' })
  token_type?: 'access_token' | 'refresh_token';

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
