import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { OutboundHttpError, OutboundHttpService } from '../../outbound-http/outbound-http.service.js';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import { ClientsService } from '../clients/clients.service.js';
import type { LogoutNotification } from './entities/logout-notification.entity.js';
import { LogoutOutboxService } from './logout-outbox.service.js';
import { LogoutTokenService } from './logout-token.service.js';

/** How often every instance looks for due rows (and at once when it recorded some itself). */
const POLL_INTERVAL_MS = 2_000;
/** How often the sweep (sessions ended without a record, by their lifetime) and the purge run. */
const SWEEP_INTERVAL_MS = 10_000;
/** Deliveries in flight at once on one instance; a slow client holds one of them, never the others. */
const MAX_IN_FLIGHT = 20;
/** How long a scrape of /metrics waits for the pending count. */
const PENDING_COUNT_TIMEOUT_MS = 1_000;
/** How long a claim holds a row: far beyond one delivery (OUTBOUND_TIMEOUT_MS), so it never runs out under a live delivery. */
const LEASE_MS = 60_000;

/**
 * Delivers the outbox (LogoutOutboxService) on every instance: polls, claims
 * due rows under a lease, POSTs each client its logout token (OIDC
 * Back-Channel Logout 1.0 §2.5) through OutboundHttpService, and settles the
 * row: 200 or 204 delivered (§2.8), anything else tried again after a wait
 * that doubles from BACKCHANNEL_LOGOUT_RETRY_BASE up to
 * BACKCHANNEL_LOGOUT_RETRY_MAX, until BACKCHANNEL_LOGOUT_MAX_ATTEMPTS or
 * BACKCHANNEL_LOGOUT_MAX_AGE give it up. Nothing lives only in memory: a
 * restart finds the rows, and an instance that died holding some lets them go
 * when its lease ends. Runs apart from every request: a logout only records.
 */
@Injectable()
export class BackchannelLogoutDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BackchannelLogoutDispatcher.name);
  /** This instance's name in the claims it makes. */
  private readonly instance = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  /** Deliveries under way: a round claims only as many rows as there is room for, and does not wait for them. */
  private readonly inFlight = new Set<Promise<void>>();
  /** A kick came while a round ran: another round follows at once. */
  private kicked = false;
  private stopped = false;
  private lastSweep = 0;

  constructor(
    private readonly outbox: LogoutOutboxService,
    private readonly logoutTokens: LogoutTokenService,
    private readonly clients: ClientsService,
    private readonly http: OutboundHttpService,
    private readonly metrics: MetricsService,
    private readonly events: EventEmitter2,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {
    metrics.gaugeOf('gatehouse_backchannel_logout_pending', 'Back-channel logout notifications neither delivered nor given up yet (all instances; NaN when the database does not answer).', () => this.pendingOrUnknown());
  }

  onApplicationBootstrap(): void {
    this.kick();
  }

  /** Stops polling and waits for the round and the deliveries in progress (each at most OUTBOUND_TIMEOUT_MS); unfinished claims run out on their own. */
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
        this.timer = setTimeout(() => this.kick(), POLL_INTERVAL_MS);
        this.timer.unref();
      }
    });
  }

  private async runRound(): Promise<void> {
    try {
      if (Date.now() - this.lastSweep >= SWEEP_INTERVAL_MS) {
        this.lastSweep = Date.now();
        await this.outbox.sweep();
        await this.outbox.purgeSettled();
      }
      while (!this.stopped && this.inFlight.size < MAX_IN_FLIGHT) {
        const room = MAX_IN_FLIGHT - this.inFlight.size;
        const claimed = await this.outbox.claimDue(this.instance, room, new Date(Date.now() + LEASE_MS));
        for (const row of claimed) this.start(row);
        if (claimed.length < room) break;
      }
    } catch (error) {
      // The database is away: the next poll tries again; nothing was lost (the rows are still there).
      this.logger.warn(`back-channel logout round failed: ${(error as Error).message}`);
    }
  }

  /** One delivery, on its own: when it ends, a round looks for more (rows may have waited for room). */
  private start(row: LogoutNotification): void {
    const delivery = this.deliver(row)
      .catch((error: Error) => this.logger.warn(`back-channel logout to client ${row.clientId} not settled (its lease will run out): ${error.message}`))
      .finally(() => {
        this.inFlight.delete(delivery);
        if (this.inFlight.size === MAX_IN_FLIGHT - 1) this.kick();
      });
    this.inFlight.add(delivery);
  }

  private async deliver(row: LogoutNotification): Promise<void> {
    const client = await this.clients.findActive(row.clientId);
    // The client was deleted, or took its URI away, after the session ended: nobody to tell.
    if (!client?.backchannelLogoutUri) return this.giveUp(row, 'no-backchannel-logout-uri', null);
    let outcome: { status: number | null; error: string | null };
    try {
      const logoutToken = await this.logoutTokens.sign(row);
      const { status } = await this.http.postForm(client.backchannelLogoutUri, { logout_token: logoutToken });
      outcome = { status, error: status === 200 || status === 204 ? null : `http-${status}` };
    } catch (error) {
      if (!(error instanceof OutboundHttpError)) this.logger.warn(`back-channel logout to client ${row.clientId} failed: ${(error as Error).message}`);
      outcome = { status: null, error: error instanceof OutboundHttpError ? error.kind : 'internal' };
    }
    if (outcome.error === null) {
      await this.outbox.settle(row, this.instance, { deliveredAt: new Date(), lastError: null });
      this.metrics.backchannelLogoutDeliveries.inc({ outcome: 'delivered' });
      this.logger.log(`back-channel logout delivered to client ${row.clientId} (attempt ${row.attempts + 1})`);
      return;
    }
    const { maxAttempts, maxAgeSeconds } = this.config.backchannelLogout;
    const tooOld = row.createdAt.getTime() + maxAgeSeconds * 1000 <= Date.now();
    if (row.attempts + 1 >= maxAttempts || tooOld) return this.giveUp(row, outcome.error, outcome.status);
    await this.outbox.settle(row, this.instance, { nextAttemptAt: new Date(Date.now() + this.backoffMs(row.attempts + 1)), lastError: outcome.error });
    this.metrics.backchannelLogoutDeliveries.inc({ outcome: 'retry' });
    this.audit(row, outcome.error, outcome.status, false);
  }

  private async giveUp(row: LogoutNotification, error: string, status: number | null): Promise<void> {
    await this.outbox.settle(row, this.instance, { failedAt: new Date(), lastError: error });
    this.metrics.backchannelLogoutDeliveries.inc({ outcome: 'failed' });
    this.audit(row, error, status, true);
  }

  /** Every failed try, with whether it was the last: an operator sees a client that stopped taking them. */
  private audit(row: LogoutNotification, error: string, status: number | null, gaveUp: boolean): void {
    this.logger.log(`back-channel logout to client ${row.clientId} failed (attempt ${row.attempts + 1}: ${error})${gaveUp ? ', given up' : ''}`);
    raiseSecurityEvent(this.events, {
      type: 'backchannel-logout.failed',
      outcome: 'failure',
      subjectId: Number.isSafeInteger(Number(row.sub)) ? Number(row.sub) : null,
      details: { clientId: row.clientId, attempt: row.attempts + 1, error, status, gaveUp },
    });
  }

  /** The pending rows, for a scrape: which must neither fail nor hang when the database does (then NaN, unknown). */
  private pendingOrUnknown(): Promise<number> {
    const unknown = new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), PENDING_COUNT_TIMEOUT_MS).unref());
    return Promise.race([this.outbox.countPending().catch(() => Number.NaN), unknown]);
  }

  /** The wait after `attempts` failed tries: RETRY_BASE, doubled each time, at most RETRY_MAX. */
  private backoffMs(attempts: number): number {
    const { retryBaseSeconds, retryMaxSeconds } = this.config.backchannelLogout;
    return Math.min(retryMaxSeconds, retryBaseSeconds * 2 ** Math.min(attempts - 1, 30)) * 1000;
  }
}
