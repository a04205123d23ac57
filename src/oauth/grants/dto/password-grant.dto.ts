import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, MaxLength } from 'class-validator';
import { GrantParametersDto, REQUIRED } from './grant-parameters.dto.js';

/** RFC 6749 §4.3.2. */
export class PasswordGrantDto extends GrantParametersDto {
  @ApiProperty({ description: 'Either case.', example: 'alice' })
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(256)
  username: string;

  @ApiProperty({ example: 'correct-horse', format: 'password' })
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(1024)
  password: string;
}
