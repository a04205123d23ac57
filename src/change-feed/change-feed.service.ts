import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { ACCESS_TOKEN_REVOKED, SIGNING_KEYS_CHANGED } from '../tokens/events/token-events.js';
import { ANY_USER_EVENT } from '../users/events/user-changed.event.js';
import { SESSIONS_ENDED } from '../sessions/events/sessions-ended.event.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { SharedChange } from './entities/shared-change.entity.js';
import { sharedEventFrom, sharedPayloadOf, type SharedEvent } from './shared-events.js';
import { insertRows } from '../database/insert-rows.js';

/**
 * How often each instance reads the changes the others made: the bound on
 * how long a revocation, an ended session, a password or role change made on
 * one instance may go unseen on another when the Redis message is late or
 * Redis is down (issue 29 promises 1 s). One indexed range read that finds
 * nothing most of the time: four a second per instance, whatever the load.
 */
export const CHANGE_FEED_INTERVAL_MS = 250;
/** Rows read at most per poll; the rest come at the next one, at once. */
const MAX_ROWS_PER_POLL = 500;
/**
 * An id below the newest one seen but not seen itself belongs to an INSERT not
 * committed yet (PostgreSQL hands out sequence numbers before the commit) or
 * rolled back: it is asked for again this long.
 */
const GAP_WAIT_MS = 10_000;
/** Gaps wider than this are not tracked one by one (a bulk rollback, a sequence jump): nothing waits in them. */
const MAX_TRACKED_GAP = 1_000;
/**
 * At start an instance replays the changes of this last while: what its
 * services loaded from their tables (revoked tokens, ended sessions) was read
 * a moment before the feed's first position was taken. Replays are harmless:
 * every listener applies a change idempotently.
 */
const REPLAY_AT_START_MS = 60_000;
/** Rows are kept this long (far beyond any poll), then purged by whichever instance gets there. */
const KEEP_MS = 10 * 60_000;
const PURGE_EVERY_MS = 60_000;

/**
 * The change feed: what every instance must apply in memory, written to the
 * database by the instance that made the change (before the request is
 * answered) and read by every other one every CHANGE_FEED_INTERVAL_MS. Redis
 * pub/sub (EventsBroadcastService) carries the same events in milliseconds
 * when it is up; this is what makes them hold when it is down, restarting, or
 * late, without a database read on the Bearer path.
 */
@Injectable()
export class ChangeFeedService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ChangeFeedService.name);
  private readonly instance = randomUUID();
  private cursor = 0;
  /** Ids skipped by the cursor, and since when. */
  private readonly gaps = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failing = false;
  private lastPurge = 0;
  /** When the last poll that succeeded began (ms): /metrics shows how stale the feed is. */
  private lastPollStarted = Date.now();

  constructor(
    @InjectRepository(SharedChange) private readonly changes: Repository<SharedChange>,
    private readonly events: EventEmitter2,
    metrics: MetricsService,
  ) {
    metrics.gaugeOf('gatehouse_change_feed_lag_seconds', 'Since the start of the last successful read of the change feed (the database), which bounds how late a change made on another instance is applied here.', () =>
      this.stopped ? 0 : (Date.now() - this.lastPollStarted) / 1000,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    const replayFrom = new Date(Date.now() - REPLAY_AT_START_MS);
    const row = await this.changes.createQueryBuilder('change').select('MAX(change.id)', 'id').where('change.created_at < :replayFrom', { replayFrom }).getRawOne<{ id: number | string | null }>();
    this.cursor = Number(row?.id ?? 0);
    await this.poll();
    this.schedule();
  }

  /** Before the database closes (TypeORM closes it at application shutdown). */
  onModuleDestroy(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * A change made here: written before the request that made it is answered
   * (emitAsync awaits it; an error fails the request, which the client
   * retries, rather than leave the other instances unaware).
   */
  @OnEvent(ANY_USER_EVENT, { suppressErrors: false })
  @OnEvent(ACCESS_TOKEN_REVOKED, { suppressErrors: false })
  @OnEvent(SIGNING_KEYS_CHANGED, { suppressErrors: false })
  @OnEvent(SESSIONS_ENDED, { suppressErrors: false })
  async record(event: SharedEvent): Promise<void> {
    if (event.origin !== 'local') return;
    await insertRows(this.changes, { instance: this.instance, event: event.name, payload: JSON.stringify(sharedPayloadOf(event)), createdAt: new Date() });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), CHANGE_FEED_INTERVAL_MS);
    this.timer.unref();
  }

  /** Applies the changes the others made since the last poll, and those that were gaps then. */
  async poll(): Promise<void> {
    const started = Date.now();
    try {
      const gaps = [...this.gaps.keys()];
      const query = this.changes.createQueryBuilder('change').where('change.id > :cursor', { cursor: this.cursor });
      if (gaps.length) query.orWhere('change.id IN (:...gaps)', { gaps });
      const rows = await query.orderBy('change.id', 'ASC').limit(MAX_ROWS_PER_POLL).getMany();
      for (const row of rows) {
        this.advancePast(row.id, started);
        if (row.instance !== this.instance) await this.apply(row);
      }
      for (const [id, since] of this.gaps) if (started - since > GAP_WAIT_MS) this.gaps.delete(id);
      if (started - this.lastPurge > PURGE_EVERY_MS) {
        this.lastPurge = started;
        await this.changes.delete({ createdAt: LessThan(new Date(started - KEEP_MS)) });
      }
      this.lastPollStarted = started;
      if (this.failing) this.logger.log('the change feed is read again');
      this.failing = false;
    } catch (error) {
      // The database is away: nothing changes meanwhile either (every change writes it first). Said once per outage.
      if (!this.failing) this.logger.warn(`could not read the change feed: ${(error as Error).message}`);
      this.failing = true;
    }
  }

  private advancePast(id: number, now: number): void {
    this.gaps.delete(id);
    if (id <= this.cursor) return;
    if (id - this.cursor <= MAX_TRACKED_GAP) for (let missing = this.cursor + 1; missing < id; missing++) this.gaps.set(missing, now);
    this.cursor = id;
  }

  private async apply(row: SharedChange): Promise<void> {
    let payload: unknown = null;
    try {
      payload = JSON.parse(row.payload);
    } catch {
      // reported below
    }
    const event = payload && typeof payload === 'object' ? sharedEventFrom(row.event, payload as Record<string, unknown>) : null;
    if (!event) {
      this.logger.warn(`ignored a malformed change feed row (${row.id})`);
      return;
    }
    await this.events.emitAsync(event.name, event);
  }
}
