import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { SecurityEventDetails } from '../../security-events/security-event.js';

/**
 * One stored security event. Accounts are plain ids, with no foreign key:
 * the trail outlives the accounts it speaks of (a deletion is an event too).
 */
@Entity({ name: 'audit_events' })
export class AuditEvent {
  @PrimaryGeneratedColumn()
  id: number;

  @Index()
  @Column({ name: 'occurred_at', type: Date })
  occurredAt: Date;

  @Index()
  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'varchar', length: 16 })
  outcome: string;

  @Index()
  @Column({ name: 'actor_id', type: 'integer', nullable: true })
  actorId: number | null;

  @Index()
  @Column({ name: 'subject_id', type: 'integer', nullable: true })
  subjectId: number | null;

  @Column({ name: 'client_address', type: 'varchar', length: 64, nullable: true })
  clientAddress: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  @Column({ type: 'simple-json' })
  details: SecurityEventDetails;
}
