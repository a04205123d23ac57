import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';

/** The second step of a login with two-factor: the mfa_token of the password grant and a code (a URN of our own, as RFC 6749 §4.5 asks). */
export const MFA_GRANT_TYPE = 'urn:gatehouse:params:oauth:grant-type:mfa-otp';
export const GRANT_TYPES = ['password', 'refresh_token', MFA_GRANT_TYPE] as const;

/** `grant_type` may be omitted and then means `password`, as FastAPI's OAuth2PasswordRequestForm allows. */
const isPasswordGrant = (request: TokenRequestDto) => request.grant_type === undefined || request.grant_type === 'password';
const isRefreshGrant = (request: TokenRequestDto) => request.grant_type === 'refresh_token';
const isMfaGrant = (request: TokenRequestDto) => request.grant_type === MFA_GRANT_TYPE;
/** The MFA grant takes a TOTP code (otp) or, failing that, a recovery code. */
const needsOtp = (request: TokenRequestDto) => isMfaGrant(request) && request.recovery_code === undefined;
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

  @ApiPropertyOptional({ description: `With the ${MFA_GRANT_TYPE} grant: the mfa_token of the password grant's 403 mfa_required answer.`, example: 'bWZhLXRva2VuLWV4YW1wbGUtdmFsdWUtb2YtNDMtY2hhcnM' })
  @ValidateIf(isMfaGrant)
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(256)
  mfa_token?: string;

  @ApiPropertyOptional({ description: `With the ${MFA_GRANT_TYPE} grant: the 6-digit code of the authenticator app.`, example: '123456' })
  @ValidateIf(needsOtp)
  @IsDefined({ message: 'otp or recovery_code is required' })
  @IsString()
  @MaxLength(16)
  otp?: string;

  @ApiPropertyOptional({ description: `With the ${MFA_GRANT_TYPE} grant, instead of otp: one of the recovery codes (each works once).`, example: 'k7mq-2x9p-wd4r' })
  @ValidateIf(isMfaGrant)
  @IsOptional()
  @IsString()
  @MaxLength(64)
  recovery_code?: string;

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
