import { Column, CreateDateColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What every outbox row carries beside its message: an entity extends this
 * (TypeORM copies the columns into its table) and adds what it delivers. A
 * row lives on through restarts until it is delivered or given up; an
 * instance that claims it holds it under a lease, which a crashed instance
 * lets run out.
 */
export abstract class OutboxRow {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: Date })
  nextAttemptAt: Date;

  /** A delivery in progress: the instance `claimedBy` holds the row until then; a lease past its end is anyone's again (a crashed instance). */
  @Column({ name: 'claimed_until', type: Date, nullable: true })
  claimedUntil: Date | null;

  @Column({ name: 'claimed_by', type: 'varchar', length: 36, nullable: true })
  claimedBy: string | null;

  @Column({ name: 'delivered_at', type: Date, nullable: true })
  deliveredAt: Date | null;

  /** Given up: too many tries, too old, or nothing left to deliver to. */
  @Column({ name: 'failed_at', type: Date, nullable: true })
  failedAt: Date | null;

  /** Why the last try failed, in a few words (an HTTP status or a failure kind): never a token, an address or a URI. */
  @Column({ name: 'last_error', type: 'varchar', length: 128, nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}

/** The columns a new row starts with: due now, never tried, held by nobody. */
export function freshOutboxRow(now = new Date()): Pick<OutboxRow, 'attempts' | 'nextAttemptAt' | 'claimedUntil' | 'claimedBy' | 'deliveredAt' | 'failedAt' | 'lastError'> {
  return { attempts: 0, nextAttemptAt: now, claimedUntil: null, claimedBy: null, deliveredAt: null, failedAt: null, lastError: null };
}
