import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, MaxLength } from 'class-validator';
import { GrantParametersDto, REQUIRED } from './grant-parameters.dto.js';

/** RFC 6749 §6. */
export class RefreshTokenGrantDto extends GrantParametersDto {
  @ApiProperty({ example: 'Qm9ndXMtZXhhbXBsZS1yZWZyZXNoLXRva2VuLXZhbHVl' })
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(1024)
  refresh_token: string;
}
