import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One application the user allowed (GET /auth/grants). */
export class ConsentResponseDto {
  @ApiProperty({ example: 'k3Jd8sQe0aLx2vPz7Yt1Rw' })
  client_id: string;

  @ApiPropertyOptional({ example: 'Example app', description: 'Null when the client has since been deleted.' })
  client_name: string | null;

  @ApiProperty({ example: 'openid profile', description: 'The scopes allowed, space-separated.' })
  scope: string;

  @ApiProperty({ example: '2026-12-07T14:00:00.000Z' })
  created_at: string;

  @ApiProperty({ example: '2026-12-07T14:00:00.000Z' })
  updated_at: string;
}
