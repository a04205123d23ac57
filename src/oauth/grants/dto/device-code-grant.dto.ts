import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, MaxLength } from 'class-validator';
import { GrantParametersDto, REQUIRED } from './grant-parameters.dto.js';

/** RFC 8628 §3.4: the device code of POST /auth/device. */
export class DeviceCodeGrantDto extends GrantParametersDto {
  @ApiProperty({ description: 'The device_code of POST /auth/device.', example: 'GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS' })
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(256)
  device_code: string;
}
