import { randomUUID } from 'node:crypto';
import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { LeasedOutbox } from './leased-outbox.js';
import type { OutboxRow } from './outbox-row.js';

/** When a failed try is tried again, and when it is given up. */
export interface RetryPolicy {
  /** Tries before a row is given up. */
  maxAttempts: number;
  /** A row not delivered this long after it was recorded is given up. */
  maxAgeSeconds: number;
  /** The wait before the first retry; each further one doubles it… */
  retryBaseSeconds: number;
  /** …up to this. */
  retryMaxSeconds: number;
}

/** What one try came to: `error` null when delivered; `final` when trying again cannot help (nobody left to deliver to). */
export interface TryOutcome {
  error: string | null;
  final?: boolean;
}

/** How a try settled its row. */
export type TryResult = 'delivered' | 'retry' | 'failed';

export interface DispatcherTimings {
  /** How often every instance looks for due rows (and at once when it recorded some itself). */
  pollIntervalMs: number;
  /** How often `housekeeping` (a sweep, the purge) runs. */
  housekeepingIntervalMs: number;
  /** Deliveries in flight at once on one instance: a slow one holds one of them, never the others. */
  maxInFlight: number;
  /** How long a claim holds a row: far beyond one try, so it never runs out under a live one. */
  leaseMs: number;
}

const DEFAULT_TIMINGS: DispatcherTimings = { pollIntervalMs: 2_000, housekeepingIntervalMs: 10_000, maxInFlight: 20, leaseMs: 60_000 };
/** How long a scrape of /metrics waits for the pending count. */
const PENDING_COUNT_TIMEOUT_MS = 1_000;

/**
 * Delivers an outbox (LeasedOutbox) on every instance: polls, claims due
 * rows under a lease, makes one try of each (`attempt`), and settles the row:
 * delivered, or tried again after a wait that doubles from the policy's base
 * up to its maximum, until its attempts or its age give it up. Nothing lives
 * only in memory: a restart finds the rows, and an instance that died holding
 * some lets them go when its lease ends. Runs apart from every request: the
 * request only records a row, then `kick`s without waiting.
 *
 * A feature extends it with what a try is (`attempt`), what it says about
 * each settled try (`report`: metrics, log, audit) and its housekeeping.
 */
export abstract class OutboxDispatcher<Row extends OutboxRow, Outcome extends TryOutcome = TryOutcome> implements OnApplicationBootstrap, OnModuleDestroy {
  protected readonly logger: Logger;
  /** This instance's name in the claims it makes. */
  private readonly instance = randomUUID();
  private readonly timings: DispatcherTimings;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  /** Deliveries under way: a round claims only as many rows as there is room for, and does not wait for them. */
  private readonly inFlight = new Set<Promise<void>>();
  /** A kick came while a round ran: another round follows at once. */
  private kicked = false;
  private stopped = false;
  private lastHousekeeping = 0;

  constructor(
    /** What log lines call the deliveries: "back-channel logout", "security notice". */
    private readonly what: string,
    protected readonly outbox: LeasedOutbox<Row>,
    private readonly policy: () => RetryPolicy,
    timings: Partial<DispatcherTimings> = {},
  ) {
    this.logger = new Logger(new.target.name);
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
  }

  /** One try of this row: its outcome, or a throw (then `internal`, and tried again). */
  protected abstract attempt(row: Row): Promise<Outcome>;

  /** Every settled try (metrics, the log, the audit trail): never throws. */
  protected abstract report(row: Row, result: TryResult, outcome: Outcome): void;

  /** Run every housekeeping interval before claiming (a sweep for what was not recorded, the purge of settled rows). */
  protected abstract housekeeping(): Promise<void>;

  /**
   * Whether this instance may deliver yet. A delivery that names this service
   * (an issuer, a link) must wait while its URL is unknown: with PORT=0 and no
   * PUBLIC_URL it is known only once the service listens, after bootstrap.
   * Until then rows stay due; the next poll looks again.
   */
  protected readyToDeliver(): boolean {
    return true;
  }

  onApplicationBootstrap(): void {
    this.kick();
  }

  /** Stops polling and waits for the round and the tries in progress; unfinished claims run out on their own. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
    await Promise.all(this.inFlight);
  }

  /** Something was recorded here: deliver now rather than at the next poll. Never awaited by the caller. */
  kick(): void {
    if (this.stopped) return;
    if (this.round) {
      this.kicked = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.round = this.runRound().finally(() => {
      this.round = null;
      if (this.kicked) {
        this.kicked = false;
        this.kick();
      } else if (!this.stopped) {
        this.timer = setTimeout(() => this.kick(), this.timings.pollIntervalMs);
        this.timer.unref();
      }
    });
  }

  /** Resolves once no round and no try is under way on this instance (what is due later stays due). */
  async idle(): Promise<void> {
    while (this.round || this.inFlight.size) {
      await this.round;
      await Promise.all(this.inFlight);
    }
  }

  /** The pending rows, for a scrape: which must neither fail nor hang when the database does (then NaN, unknown). */
  protected pendingOrUnknown(): Promise<number> {
    const unknown = new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), PENDING_COUNT_TIMEOUT_MS).unref());
    return Promise.race([this.outbox.countPending().catch(() => Number.NaN), unknown]);
  }

  private async runRound(): Promise<void> {
    const { maxInFlight, leaseMs, housekeepingIntervalMs } = this.timings;
    if (!this.readyToDeliver()) return;
    try {
      if (Date.now() - this.lastHousekeeping >= housekeepingIntervalMs) {
        this.lastHousekeeping = Date.now();
        await this.housekeeping();
      }
      while (!this.stopped && this.inFlight.size < maxInFlight) {
        const room = maxInFlight - this.inFlight.size;
        const claimed = await this.outbox.claimDue(this.instance, room, new Date(Date.now() + leaseMs));
        for (const row of claimed) this.start(row);
        if (claimed.length < room) break;
      }
    } catch (error) {
      // The database is away: the next poll tries again; nothing was lost (the rows are still there).
      this.logger.warn(`${this.what} round failed: ${(error as Error).message}`);
    }
  }

  /** One try, on its own: when it ends, a round looks for more (rows may have waited for room). */
  private start(row: Row): void {
    const delivery = this.tryOnce(row)
      .catch((error: Error) => this.logger.warn(`${this.what} ${row.id} not settled (its lease will run out): ${error.message}`))
      .finally(() => {
        this.inFlight.delete(delivery);
        if (this.inFlight.size === this.timings.maxInFlight - 1) this.kick();
      });
    this.inFlight.add(delivery);
  }

  private async tryOnce(row: Row): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.attempt(row);
    } catch (error) {
      this.logger.warn(`${this.what} ${row.id} failed: ${(error as Error).message}`);
      outcome = { error: 'internal' } as Outcome;
    }
    if (outcome.error === null) {
      await this.outbox.settle(row, this.instance, { deliveredAt: new Date(), lastError: null });
      return this.report(row, 'delivered', outcome);
    }
    const { maxAttempts, maxAgeSeconds } = this.policy();
    const tooOld = row.createdAt.getTime() + maxAgeSeconds * 1000 <= Date.now();
    if (outcome.final || row.attempts + 1 >= maxAttempts || tooOld) {
      await this.outbox.settle(row, this.instance, { failedAt: new Date(), lastError: outcome.error });
      return this.report(row, 'failed', outcome);
    }
    await this.outbox.settle(row, this.instance, { nextAttemptAt: new Date(Date.now() + this.backoffMs(row.attempts + 1)), lastError: outcome.error });
    this.report(row, 'retry', outcome);
  }

  /** The wait after `attempts` failed tries: the base, doubled each time, at most the maximum. */
  private backoffMs(attempts: number): number {
    const { retryBaseSeconds, retryMaxSeconds } = this.policy();
    return Math.min(retryMaxSeconds, retryBaseSeconds * 2 ** Math.min(attempts - 1, 30)) * 1000;
  }
}
