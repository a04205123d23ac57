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

  @ApiProperty({ enum: ['browser', 'token'], example: 'token', description: '`browser`: a sign-in on the hosted login page (its cookie); `token`: a login whose tokens an application holds.' })
  kind: 'browser' | 'token';

  @ApiProperty({ type: String, nullable: true, example: 'k3Jd8sQe0aLx2vPz7Yt1Rw', description: 'The application (OAuth client) the session is for; null for first-party logins.' })
  clientId: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Example app', description: 'Its name, as registered (null without a client, or once it is deleted).' })
  clientName: string | null;

  /** Each session with the name of its client: the names of the clients that `sessions` name, looked up once each. */
  static async list(sessions: Session[], clientName: (clientId: string) => Promise<string | null>, currentSessionId?: string): Promise<SessionResponseDto[]> {
    const names = new Map<string, string | null>();
    for (const clientId of new Set(sessions.map((session) => session.clientId).filter((id): id is string => id !== null))) names.set(clientId, await clientName(clientId));
    return sessions.map((session) => SessionResponseDto.from(session, currentSessionId, session.clientId === null ? null : (names.get(session.clientId) ?? null)));
  }

  static from(session: Session, currentSessionId?: string, clientName: string | null = null): SessionResponseDto {
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
      kind: session.kind,
      clientId: session.clientId,
      clientName,
    });
  }
}
