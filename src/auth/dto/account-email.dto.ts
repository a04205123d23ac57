import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { EMAIL_RULE, USERNAME_RULE } from '../../account-rules/account-rules.js';
import { PASSWORD_POLICY_RULE } from '../../password-policy/password-policy.service.js';
import { IsEmailAddress, IsPassword, IsUsername } from '../../users/dto/account-validators.js';

/** A mailed token: 32 random bytes in base64url (43 characters); a little room either way, never unbounded. */
const TOKEN_LENGTH = { min: 16, max: 128 };

export class ChangeEmailDto {
  @ApiProperty({ description: `${EMAIL_RULE}; unique case-insensitively. It is unverified until the mailed link or code is used.`, example: 'alice@example.com', maxLength: 254 })
  @IsString()
  @IsEmailAddress()
  email: string;

  @ApiProperty({ description: 'Your current password: the address is where password resets will go.', example: 'correct-horse-battery', format: 'password' })
  @IsString()
  @MaxLength(1024)
  currentPassword: string;
}

export class VerifyEmailDto {
  @ApiProperty({ required: false, description: 'The token of the mailed link (its `token` parameter). Or give `email` and `code` instead.', example: 'q0mXnB3l8fW2cJ7vT1kZr9sD4hY6uA5eP0iG3oL2nQw' })
  @IsOptional()
  @IsString()
  @Length(TOKEN_LENGTH.min, TOKEN_LENGTH.max)
  token?: string;

  @ApiProperty({ required: false, description: 'With `code`: the address the code was mailed to.', example: 'alice@example.com' })
  @IsOptional()
  @IsString()
  @IsEmailAddress()
  email?: string;

  @ApiProperty({ required: false, description: 'With `email`: the 6-digit code of the mail.', example: '492039' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  code?: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ required: false, description: `The account's username (${USERNAME_RULE}); or give \`email\` instead.`, example: 'alice' })
  @IsOptional()
  @IsString()
  @IsUsername()
  username?: string;

  @ApiProperty({ required: false, description: "The account's e-mail address; or give `username` instead.", example: 'alice@example.com' })
  @IsOptional()
  @IsString()
  @IsEmailAddress()
  email?: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token of the mailed link (its `token` parameter).', example: 'Vx3kQ9mB0pL7sR2tY5wZ8cF1hJ4nD6gA3eK0uI9oP2q' })
  @IsString()
  @Length(TOKEN_LENGTH.min, TOKEN_LENGTH.max)
  token: string;

  @ApiProperty({ description: PASSWORD_POLICY_RULE, example: 'new-correct-horse-battery', format: 'password' })
  @IsString()
  @IsPassword()
  newPassword: string;
}

/** The answer of a request whose outcome is mailed, or deliberately not told. */
export class AcceptedDto {
  @ApiProperty({ example: 'If an account with a verified e-mail address matches, a link to reset its password is on its way to that address.' })
  message: string;
}
