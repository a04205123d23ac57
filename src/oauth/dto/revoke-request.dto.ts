import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsOptional, IsString, MaxLength } from 'class-validator';

/** The revocation request of RFC 7009 §2.1 (and the introspection request of RFC 7662 §2.1), form-encoded or JSON. */
export class RevokeRequestDto {
  @ApiProperty({ description: 'A refresh token or an access token.', example: 'Qm9ndXMtZXhhbXBsZS1yZWZyZXNoLXRva2VuLXZhbHVl' })
  @IsDefined({ message: '$property is required' })
  @IsString()
  @MaxLength(4096)
  token: string;

  @ApiPropertyOptional({ enum: ['refresh_token', 'access_token'], description: 'Which kind to try first; the token is looked up whatever it says.', example: 'refresh_token' })
  @IsOptional()
  @IsString()
  token_type_hint?: string;
}
