import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, MaxLength } from 'class-validator';
import { GrantParametersDto, REQUIRED } from './grant-parameters.dto.js';

/** The passkey grant: the challenge of POST /auth/passkeys/authentication/options and what navigator.credentials.get() answered. */
export class PasskeyGrantDto extends GrantParametersDto {
  @ApiProperty({ description: 'The `challengeId` of POST /auth/passkeys/authentication/options.', example: 'Vq2x0bH3nQ1tYk7uJ9cLwA' })
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(64)
  challengeId: string;

  @ApiProperty({
    description: 'The `PublicKeyCredential` of `navigator.credentials.get()` as JSON text (`JSON.stringify(credential)`; `AuthenticationResponseJSON` of @simplewebauthn).',
    example: '{"id":"AbCd…","rawId":"AbCd…","type":"public-key","response":{"clientDataJSON":"…","authenticatorData":"…","signature":"…","userHandle":"MTI"},"clientExtensionResults":{}}',
  })
  @IsDefined(REQUIRED)
  @IsString()
  @MaxLength(16384)
  response: string;
}
