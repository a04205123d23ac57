import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ResourceParameterDto, REQUIRED } from './grant-parameters.dto.js';

/** RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5). */
export class AuthorizationCodeGrantDto extends ResourceParameterDto {
  @ApiProperty({ description: 'The code of the redirect.', example: 'SplxlOBeZQQYbYS6WxSbIA' })
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(256)
  code: string;

  @ApiPropertyOptional({ description: 'The redirect_uri of the authorization request (required when it was sent there).', example: 'https://app.example.com/callback' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  redirect_uri?: string;

  @ApiProperty({ description: 'RFC 7636 §4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~].', example: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' })
  @IsDefined(REQUIRED)
  @IsString()
  @Matches(/^[A-Za-z0-9\-._~]{43,128}$/, { message: 'code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_", "~" (RFC 7636 §4.1)' })
  code_verifier: string;
}
