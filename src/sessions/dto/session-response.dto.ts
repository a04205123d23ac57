import { ApiProperty } from '@nestjs/swagger';
import type { Session } from '../entities/session.entity.js';

/** One login as its owner (or an admin) sees it: enough to tell devices apart, nothing that grants anything. */
export class SessionResponseDto {
  @ApiProperty({ example: '0f8e2c1a-4b7d-4c3e-9a51-2d6f0e9b7c44', description: 'Opaque; what DELETE /auth/sessions/{id} takes.' })
  id: string;

  @ApiProperty({ example: '2026-11-28T18:00:00.000Z', description: 'The login.' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-29T08:12:00.000Z', description: 'The last login or refresh (using an access token does not count).' })
  lastUsedAt: string;

  @ApiProperty({ example: '2026-12-28T18:00:00.000Z', description: 'The absolute end (SESSION_MAX_LIFETIME after the login), however often it is refreshed.' })
  expiresAt: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7', description: 'Client address of the login.' })
  createdAddress: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (X11; Linux x86_64)', description: 'User agent of the login (first 512 characters).' })
  createdUserAgent: string | null;

  @ApiProperty({ type: String, nullable: true, example: '198.51.100.4', description: 'Client address of the last use.' })
  lastAddress: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'curl/8.5.0', description: 'User agent of the last use.' })
  lastUserAgent: string | null;

  @ApiProperty({ example: true, description: 'The session of the access token this request was made with (always false with Basic).' })
  current: boolean;

  static from(session: Session, currentSessionId?: string): SessionResponseDto {
    return Object.assign(new SessionResponseDto(), {
      id: session.id,
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      createdAddress: session.createdAddress,
      createdUserAgent: session.createdUserAgent,
      lastAddress: session.lastAddress,
      lastUserAgent: session.lastUserAgent,
      current: session.id === currentSessionId,
    });
  }
}
