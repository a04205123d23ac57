import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';

export const GRANT_TYPES = ['password', 'refresh_token'] as const;

/** `grant_type` may be omitted and then means `password`, as FastAPI's OAuth2PasswordRequestForm allows. */
const isPasswordGrant = (request: TokenRequestDto) => request.grant_type === undefined || request.grant_type === 'password';
const isRefreshGrant = (request: TokenRequestDto) => request.grant_type === 'refresh_token';
const REQUIRED = { message: '$property is required' };

/** The OAuth2 token request (RFC 6749 §4.3, §6), form-encoded or JSON. Unknown parameters are ignored (§3.2). */
export class TokenRequestDto {
  @ApiPropertyOptional({ enum: GRANT_TYPES, default: 'password', example: 'password' })
  @IsOptional()
  @IsString()
  grant_type?: string;

  @ApiPropertyOptional({ description: 'With the password grant; either case.', example: 'alice' })
  @ValidateIf(isPasswordGrant)
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(256)
  username?: string;

  @ApiPropertyOptional({ description: 'With the password grant.', example: 'correct-horse', format: 'password' })
  @ValidateIf(isPasswordGrant)
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ description: 'With the refresh_token grant.', example: 'Qm9ndXMtZXhhbXBsZS1yZWZyZXNoLXRva2VuLXZhbHVl' })
  @ValidateIf(isRefreshGrant)
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(1024)
  refresh_token?: string;

  @ApiPropertyOptional({ description: 'Accepted and ignored.', example: '' })
  @IsOptional()
  @IsString()
  scope?: string;

  @ApiPropertyOptional({ description: 'Accepted and ignored.', example: '' })
  @IsOptional()
  @IsString()
  client_id?: string;

  @ApiPropertyOptional({ description: 'Accepted and ignored.', example: '' })
  @IsOptional()
  @IsString()
  client_secret?: string;
}
