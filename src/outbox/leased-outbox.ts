import { In, IsNull, LessThanOrEqual, type FindOptionsWhere, type Repository } from 'typeorm';
import type { OutboxRow } from './outbox-row.js';

/** How a try settled: delivered, given up, or due again later; always with its error (null when delivered). */
export type Settlement = Partial<Pick<OutboxRow, 'deliveredAt' | 'failedAt' | 'nextAttemptAt' | 'lastError'>>;

/**
 * The table side of an outbox: what an instance claims to deliver, and how
 * each try settles. Every write that more than one instance may race on is
 * one conditional statement: a claim takes only rows whose lease has run
 * out, and a settlement is written only by the instance that still holds
 * the row. What a row says, and how rows are recorded, is the feature's.
 */
export class LeasedOutbox<Row extends OutboxRow> {
  constructor(private readonly rows: Repository<Row>) {}

  /**
   * Takes up to `limit` due rows for `instance` until `leaseUntil`. The
   * UPDATE repeats the conditions its candidates were picked by, so of two
   * instances picking the same rows only one gets each (on PostgreSQL the
   * second UPDATE waits for the first's row locks and re-checks them); the
   * rows are then read back by who holds them and until when.
   */
  async claimDue(instance: string, limit: number, leaseUntil: Date): Promise<Row[]> {
    const now = new Date();
    const claimable = (alias: string) =>
      `${alias}delivered_at IS NULL AND ${alias}failed_at IS NULL AND ${alias}next_attempt_at <= :now AND (${alias}claimed_until IS NULL OR ${alias}claimed_until < :now)`;
    const candidates = await this.rows.createQueryBuilder('n').select('n.id').where(claimable('n.'), { now }).orderBy('n.next_attempt_at').limit(limit).getMany();
    if (!candidates.length) return [];
    const ids = candidates.map(({ id }) => id);
    await this.rows
      .createQueryBuilder()
      .update()
      .set({ claimedUntil: leaseUntil, claimedBy: instance } as never)
      .where({ id: In(ids) })
      .andWhere(claimable(''), { now })
      .execute();
    return this.rows.find({ where: { id: In(ids), claimedBy: instance, claimedUntil: leaseUntil } as FindOptionsWhere<Row> });
  }

  /** A try settled: written only while this instance still holds the row. */
  async settle(row: Row, instance: string, changes: Settlement): Promise<void> {
    const held = { id: row.id, claimedBy: instance, claimedUntil: row.claimedUntil!, deliveredAt: IsNull() } as FindOptionsWhere<Row>;
    await this.rows.update(held, { ...changes, attempts: row.attempts + 1, claimedUntil: null } as never);
  }

  /** Rows neither delivered nor given up: a pending gauge. */
  async countPending(): Promise<number> {
    return this.rows.countBy({ deliveredAt: IsNull(), failedAt: IsNull() } as FindOptionsWhere<Row>);
  }

  /** Delivered or given up more than `retentionMs` ago (0: as soon as they are). */
  async purgeSettled(retentionMs: number): Promise<void> {
    const before = new Date(Date.now() - retentionMs);
    await this.rows.delete({ deliveredAt: LessThanOrEqual(before) } as FindOptionsWhere<Row>);
    await this.rows.delete({ failedAt: LessThanOrEqual(before), deliveredAt: IsNull() } as FindOptionsWhere<Row>);
  }
}
