import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';

/** The longest name a passkey may have (the column's size). */
export const PASSKEY_NAME_MAX_LENGTH = 64;

/** POST /auth/passkeys/registration/options: the current password, unless the session signed in within the last 5 minutes. */
export class RegistrationOptionsRequestDto {
  @ApiPropertyOptional({ description: 'Your current password; not needed within 5 minutes of signing in (or with HTTP Basic, which carries it).', example: 'correct-horse-battery', format: 'password' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;
}

/** POST /auth/passkeys/registration: a name for the passkey and what navigator.credentials.create() answered. */
export class RegisterPasskeyDto {
  @ApiProperty({ description: 'What to call it in the list (1 to 64 characters).', example: 'Work laptop', maxLength: PASSKEY_NAME_MAX_LENGTH })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSKEY_NAME_MAX_LENGTH)
  name: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The `PublicKeyCredential` of `navigator.credentials.create()` as JSON (`credential.toJSON()`; `RegistrationResponseJSON` of @simplewebauthn): `id`, `rawId`, `type`, `response.clientDataJSON`, `response.attestationObject`, `response.transports`.',
    example: { id: 'AbCd…', rawId: 'AbCd…', type: 'public-key', response: { clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIi…', attestationObject: 'o2NmbXRkbm9uZ…', transports: ['internal'] }, clientExtensionResults: {} },
  })
  @IsObject()
  response: RegistrationResponseJSON;
}

/** PATCH /auth/passkeys/{id}. */
export class RenamePasskeyDto {
  @ApiProperty({ description: 'The new name (1 to 64 characters).', example: 'Phone', maxLength: PASSKEY_NAME_MAX_LENGTH })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSKEY_NAME_MAX_LENGTH)
  name: string;
}
