import { ApiProperty } from '@nestjs/swagger';

export class SigningKeyDto {
  @ApiProperty({ example: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' })
  kid: string;

  @ApiProperty({ enum: ['RS256', 'ES256', 'EdDSA'], example: 'RS256' })
  algorithm: string;

  @ApiProperty({ example: 2 })
  generation: number;

  @ApiProperty()
  createdAt: Date;

  @ApiProperty({ description: 'When it starts (or started) signing' })
  signsFrom: Date;

  @ApiProperty({ nullable: true, type: Date, description: 'When it leaves the key set: null while it is the newest' })
  retiresAt: Date | null;

  @ApiProperty({ nullable: true, type: Date })
  revokedAt: Date | null;
}
