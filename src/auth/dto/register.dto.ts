import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { EMAIL_RULE, USERNAME_RULE } from '../../account-rules/account-rules.js';
import { PASSWORD_POLICY_RULE } from '../../password-policy/password-policy.service.js';
import { IsEmailAddress, IsPassword, IsUsername } from '../../users/dto/account-validators.js';

export class RegisterDto {
  @ApiProperty({ description: `${USERNAME_RULE}; unique case-insensitively.`, example: 'alice', minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9._-]{3,64}$' })
  @IsString()
  @IsUsername()
  username: string;

  @ApiProperty({ description: PASSWORD_POLICY_RULE, example: 'correct-horse', format: 'password' })
  @IsString()
  @IsPassword()
  password: string;

  @ApiProperty({
    required: false,
    description: `Optional: ${EMAIL_RULE}; unique case-insensitively. A verification mail (a link and a code) goes to it; password resets need it verified.`,
    example: 'alice@example.com',
    maxLength: 254,
  })
  @IsOptional()
  @IsString()
  @IsEmailAddress()
  email?: string;
}
