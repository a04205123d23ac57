import { Column, Entity, Index } from 'typeorm';
import type { SecurityNoticeKind } from '../../config/configuration.js';
import { OutboxRow } from '../../outbox/outbox-row.js';

/**
 * The outbox of security notices: one row per mail to send, recorded when
 * the security event is heard (after its kind's interval was claimed), kept
 * through restarts and retried until the SMTP server takes it or it is given
 * up, then purged. The address is the one of that moment (for a changed
 * address, the old one); no foreign key, so a notice about an account deleted
 * meanwhile is given up rather than lost in a cascade.
 */
@Entity({ name: 'security_notices' })
@Index(['nextAttemptAt'])
export class SecurityNotice extends OutboxRow {
  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 32 })
  kind: SecurityNoticeKind;

  /** Where the mail goes: the account's verified address when it happened. */
  @Column({ type: 'varchar', length: 320 })
  recipient: string;

  /** When it happened, and from where (the security event's client address and user agent, already made printable). */
  @Column({ name: 'occurred_at', type: Date })
  occurredAt: Date;

  @Column({ name: 'client_address', type: 'varchar', length: 64, nullable: true })
  clientAddress: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;
}
