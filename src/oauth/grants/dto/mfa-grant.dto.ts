import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { GrantParametersDto, REQUIRED } from './grant-parameters.dto.js';

/** The second step of a login with two-factor: the mfa_token of the password grant's 403 and a TOTP code or, failing that, a recovery code. */
export class MfaGrantDto extends GrantParametersDto {
  @ApiProperty({ description: 'The mfa_token of the password grant’s 403 mfa_required answer.', example: 'bWZhLXRva2VuLWV4YW1wbGUtdmFsdWUtb2YtNDMtY2hhcnM' })
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(256)
  mfa_token: string;

  @ApiPropertyOptional({ description: 'The 6-digit code of the authenticator app.', example: '123456' })
  @ValidateIf((request: MfaGrantDto) => request.recovery_code === undefined)
  @IsDefined({ message: 'otp or recovery_code is required' })
  @IsString()
  @MaxLength(16)
  otp?: string;

  @ApiPropertyOptional({ description: 'Instead of otp: one of the recovery codes (each works once).', example: 'k7mq-2x9p-wd4r' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  recovery_code?: string;
}
