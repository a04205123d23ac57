import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { ANY_SECURITY_EVENT, type SecurityEvent } from '../security-events/security-event.js';

/** Request durations: GET / takes a few milliseconds, a login half a second (bcrypt), a slow database seconds. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Waiting for a hashing thread: nothing while the pool has a free thread, several hash times in a storm. */
const HASH_WAIT_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/** One cache's lookups, counted by the cache's owner with a plain increment (the Bearer path does two), read when Prometheus scrapes. */
export class CacheLookups {
  hits = 0;
  misses = 0;
  constructor(readonly entries: () => number) {}
}

/** The password-hashing pool as it stands: checks waiting for a thread, running, and how many may wait before 503. */
export interface HashingPoolState {
  waiting: number;
  running: number;
  queueLimit: number;
}

/**
 * Gatehouse's Prometheus metrics, in a registry of this app's own (prom-client's
 * global one would mix two apps of one process). A leaf: the modules that know
 * a figure record it here, or hand over a function that reads it at scrape
 * time; security events (logins, throttle blocks, reuse) are counted as they
 * are raised. Node's own metrics (event-loop lag, heap, GC) and the request
 * histogram run only when /metrics is on (METRICS_TOKEN).
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();

  readonly requestDuration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code, and how long they took (its _count is the request count).',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });

  readonly logins = this.counter('gatehouse_logins_total', 'Password checks of a login (password grant, Basic, current password of a password change) by outcome.', ['outcome', 'method']);
  readonly throttleBlocks = this.counter('gatehouse_throttle_blocks_total', 'Throttle blocks (a key refused by a limiter; its further refusals until the block ends count once), by limiter.', ['limiter']);
  readonly refreshRotations = this.counter('gatehouse_refresh_token_rotations_total', 'Refresh tokens spent for a new pair (refresh_token grants that succeeded).');
  readonly refreshReuses = this.counter('gatehouse_refresh_token_reuse_detected_total', 'Spent refresh tokens presented again: each revoked its session.');
  readonly securityEvents = this.counter('gatehouse_security_events_total', 'Security events raised (the audit trail), by type and outcome.', ['type', 'outcome']);
  readonly backchannelLogoutDeliveries = this.counter(
    'gatehouse_backchannel_logout_deliveries_total',
    'Back-channel logout tokens POSTed to clients, by outcome: delivered, retry (a failed try that will be tried again), failed (given up).',
    ['outcome'],
  );
  readonly securityNotices = this.counter(
    'gatehouse_security_notices_total',
    'Security notices by kind and outcome: queued, suppressed (another of its kind went to the account within NOTICE_INTERVAL), sent, retry (a failed try that will be tried again), failed (given up).',
    ['kind', 'outcome'],
  );
  readonly redisOutages = this.counter('gatehouse_redis_outages_total', 'Times the connection to Redis was lost; meanwhile the service works on from the database (degraded, /health says so).');
  readonly auditEventsLost = this.counter('gatehouse_audit_events_lost_total', 'Security events the audit trail could not store (they were still logged), by reason.', ['reason']);

  readonly passwordHashWait = new Histogram({
    name: 'gatehouse_password_hash_wait_seconds',
    help: 'How long a password hash or check waited for a hashing thread.',
    buckets: HASH_WAIT_BUCKETS,
    registers: [this.registry],
  });

  private readonly caches = new Map<string, CacheLookups>();
  private hashingPool: () => HashingPoolState = () => ({ waiting: 0, running: 0, queueLimit: 0 });

  constructor(@Inject(APP_CONFIGURATION) private readonly config: AppConfiguration) {
    this.gaugeOf('gatehouse_password_hash_queue_depth', 'Password hashes and checks waiting for a hashing thread.', () => this.hashingPool().waiting);
    this.gaugeOf('gatehouse_password_hash_running', 'Password hashes and checks running on a hashing thread.', () => this.hashingPool().running);
    this.gaugeOf('gatehouse_password_hash_queue_limit', 'HASH_QUEUE_LIMIT: waiting checks beyond this are refused with 503.', () => this.hashingPool().queueLimit);
    this.watchCaches();
  }

  /** Whether GET /metrics is served (METRICS_TOKEN is set). */
  get enabled(): boolean {
    return this.config.metricsToken !== null;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which promtool's lint refuses; the same figures are there by type (nodejs_active_handles{type}…).
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }

  /** A cache to report: its owner counts hits and misses on the returned object. */
  watchCache(name: string, entries: () => number): CacheLookups {
    const lookups = new CacheLookups(entries);
    this.caches.set(name, lookups);
    return lookups;
  }

  watchHashingPool(read: () => HashingPoolState): void {
    this.hashingPool = read;
  }

  private counter<Label extends string = never>(name: string, help: string, labelNames: readonly Label[] = []): Counter<Label> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge whose value is read when Prometheus scrapes (a promise for what the database must count). */
  gaugeOf(name: string, help: string, read: () => number | Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  /** Logins, throttle blocks and reuse detections are security events: counted from them, so the figures and the audit trail agree. */
  @OnEvent(ANY_SECURITY_EVENT)
  countSecurityEvent(event: SecurityEvent): void {
    this.securityEvents.inc({ type: event.type, outcome: event.outcome });
    if (event.type === 'login') this.logins.inc({ outcome: event.outcome, method: String(event.details.method) });
    else if (event.type === 'throttle.blocked') this.throttleBlocks.inc({ limiter: String(event.details.limiter) });
    else if (event.type === 'refresh-token.reused') this.refreshReuses.inc();
  }

  /** Cache counters live in their owners as plain numbers: copied into prom-client at scrape time. */
  private watchCaches(): void {
    const caches = this.caches;
    new Counter({
      name: 'gatehouse_cache_lookups_total',
      help: 'Lookups of the in-process caches, by cache and result (hit or miss): the hit ratio is hits over all.',
      labelNames: ['cache', 'result'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [cache, lookups] of caches) {
          this.inc({ cache, result: 'hit' }, lookups.hits);
          this.inc({ cache, result: 'miss' }, lookups.misses);
        }
      },
    });
    new Gauge({
      name: 'gatehouse_cache_entries',
      help: 'Entries held by each in-process cache.',
      labelNames: ['cache'] as const,
      registers: [this.registry],
      collect() {
        for (const [cache, lookups] of caches) this.set({ cache }, lookups.entries());
      },
    });
  }
}
