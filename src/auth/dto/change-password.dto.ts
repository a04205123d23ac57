import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { PASSWORD_RULE } from '../../account-rules/account-rules.js';
import { IsPassword } from '../../users/dto/account-validators.js';

export class ChangePasswordDto {
  @ApiProperty({ example: 'correct-horse', format: 'password' })
  @IsString()
  @MaxLength(1024)
  currentPassword: string;

  @ApiProperty({ description: `${PASSWORD_RULE}.`, example: 'battery-staple', format: 'password' })
  @IsString()
  @IsPassword()
  newPassword: string;
}
