import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { GrantParametersDto } from '../../grants/dto/grant-parameters.dto.js';

/** RFC 8628 §3.1: the client's request (its authentication as at the token endpoint) and the scope. */
export class DeviceAuthorizationRequestDto extends PickType(GrantParametersDto, ['scope', 'client_id'] as const) {
  @ApiPropertyOptional({ description: 'client_secret_post: the client’s secret.', format: 'password', example: 'Rm9yLWV4YW1wbGUtb25seS1zZWNyZXQ' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_secret?: string;
}

/** RFC 8628 §3.2: what the device shows and polls with. */
export class DeviceAuthorizationResponseDto {
  @ApiProperty({ description: 'Polled with at the token endpoint (grant_type urn:ietf:params:oauth:grant-type:device_code); 256 random bits.', example: 'GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS' })
  device_code: string;

  @ApiProperty({ description: '8 letters from BCDFGHJKLMNPQRSTVWXZ, shown XXXX-XXXX; case and dash ignored on entry.', example: 'WDJB-MJHT' })
  user_code: string;

  @ApiProperty({ description: 'Where the person enters the code.', example: 'https://auth.example.com/device' })
  verification_uri: string;

  @ApiProperty({ description: 'The same with the code filled in (for a QR code); the person still confirms it.', example: 'https://auth.example.com/device?user_code=WDJB-MJHT' })
  verification_uri_complete: string;

  @ApiProperty({ description: 'Seconds until the codes expire.', example: 600 })
  expires_in: number;

  @ApiProperty({ description: 'Seconds to wait between polls.', example: 5 })
  interval: number;
}
