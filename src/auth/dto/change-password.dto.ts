import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { PASSWORD_POLICY_RULE } from '../../password-policy/password-policy.service.js';
import { IsPassword } from '../../users/dto/account-validators.js';

export class ChangePasswordDto {
  @ApiProperty({ example: 'correct-horse', format: 'password' })
  @IsString()
  @MaxLength(1024)
  currentPassword: string;

  @ApiProperty({ description: PASSWORD_POLICY_RULE, example: 'battery-staple', format: 'password' })
  @IsString()
  @IsPassword()
  newPassword: string;
}
