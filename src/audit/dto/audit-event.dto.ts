import { ApiProperty } from '@nestjs/swagger';
import { SECURITY_EVENT_OUTCOMES, SECURITY_EVENT_TYPES, type SecurityEventDetails } from '../../security-events/security-event.js';
import type { AuditEvent } from '../entities/audit-event.entity.js';

/** One event of the audit trail, as GET /audit shows it. */
export class AuditEventDto {
  @ApiProperty({ example: 42 })
  id: number;

  @ApiProperty({ example: '2026-11-28T18:00:00.000Z' })
  occurredAt: string;

  @ApiProperty({ enum: SECURITY_EVENT_TYPES, example: 'login' })
  type: string;

  @ApiProperty({ enum: SECURITY_EVENT_OUTCOMES, example: 'failure' })
  outcome: string;

  @ApiProperty({ nullable: true, type: Number, example: null, description: 'The account that acted; null when nobody was signed in' })
  actorId: number | null;

  @ApiProperty({ nullable: true, type: Number, example: 7, description: 'The account the event was about, when there is one' })
  subjectId: number | null;

  @ApiProperty({ nullable: true, type: String, example: '203.0.113.9' })
  clientAddress: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'curl/8.5.0' })
  userAgent: string | null;

  @ApiProperty({ nullable: true, type: String, example: '1f0c2a8e-7d65-4c1a-9b7e-2f3c4d5e6f70', description: 'The X-Request-Id of the request that caused it' })
  requestId: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { username: 'alice', method: 'password' }, description: 'What the type says more (docs/API.md lists them)' })
  details: SecurityEventDetails;

  static from(event: AuditEvent): AuditEventDto {
    return Object.assign(new AuditEventDto(), { ...event, occurredAt: event.occurredAt.toISOString() });
  }
}
