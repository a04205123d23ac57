import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class TokenResponseDto {
  @ApiProperty({ description: 'A JWT (HS256) for `Authorization: Bearer …`.' })
  access_token: string;

  @ApiProperty({ example: 'bearer' })
  token_type: 'bearer';

  @ApiProperty({ description: 'Seconds until the access token expires.', example: 1800 })
  expires_in: number;

  @ApiPropertyOptional({ description: 'An opaque token for the refresh_token grant.' })
  refresh_token?: string;
}

export class OAuthErrorDto {
  @ApiProperty({ example: 401 })
  statusCode: number;

  @ApiProperty({ enum: ['invalid_request', 'invalid_grant', 'unsupported_grant_type'], example: 'invalid_grant' })
  error: string;

  @ApiProperty({ example: 'Invalid username or password.' })
  error_description: string;

  @ApiProperty({ example: 'Invalid username or password.' })
  message: string | string[];
}
