import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { Between, LessThan, LessThanOrEqual, MoreThanOrEqual, Repository, type FindOptionsWhere } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ANY_SECURITY_EVENT, type SecurityEvent, type SecurityEventOutcome, type SecurityEventType } from '../security-events/security-event.js';
import { AuditEvent } from './entities/audit-event.entity.js';
import { insertRows } from '../database/insert-rows.js';

/** Rows per INSERT: 10 columns each stays under SQLite's oldest limit of 999 parameters. */
const INSERT_BATCH = 50;
/** Events waiting for the database beyond this are not stored (still logged, and counted as lost): a flood must not grow memory. */
const MAX_PENDING = 10_000;
/** Rows per DELETE of the purge: short statements, so requests' writes interleave with it. */
const PURGE_BATCH = 1_000;
/** The purge runs this often at most, and at least as often as the retention itself (tests use seconds). */
const MAX_PURGE_INTERVAL_MS = 60 * 60_000;

export interface AuditFilter {
  type?: SecurityEventType;
  outcome?: SecurityEventOutcome;
  /** Events this account did or that were about it. */
  accountId?: number;
  from?: Date;
  to?: Date;
}

export interface AuditPage {
  items: AuditEvent[];
  total: number;
}

function rowOf(event: SecurityEvent): Omit<AuditEvent, 'id'> {
  const { occurredAt, type, outcome, actorId, subjectId, clientAddress, userAgent, requestId, details } = event;
  return { occurredAt, type, outcome, actorId, subjectId, clientAddress, userAgent, requestId, details };
}

/**
 * The audit trail. Every security event (`audit.*`) is written as a log line
 * at once (`"audit": true`; failures at warn, so failed logins, throttle
 * blocks and reuse reach whatever collects logs) and queued for the database,
 * where it is inserted in batches after the request has moved on: recording
 * never waits for, or fails with, the database. A write that fails is logged
 * and counted (gatehouse_audit_events_lost_total). Events older than
 * AUDIT_RETENTION are purged in short batches on a timer.
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Audit');
  private pending: SecurityEvent[] = [];
  private writing: Promise<void> | null = null;
  private purging: Promise<void> | null = null;
  private purgeTimer?: NodeJS.Timeout;
  private warnedFullAt = 0;

  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly metrics: MetricsService,
  ) {}

  @OnEvent(ANY_SECURITY_EVENT)
  record(event: SecurityEvent): void {
    const level = event.outcome === 'failure' ? 'warn' : 'log';
    this.logger[level]({ audit: true, ...rowOf(event) });
    if (this.pending.length >= MAX_PENDING) return this.dropForFullQueue();
    this.pending.push(event);
    this.writing ??= this.writePending();
  }

  async findPage({ type, outcome, accountId, from, to }: AuditFilter, page: number, pageSize: number): Promise<AuditPage> {
    const common: FindOptionsWhere<AuditEvent> = {};
    if (type) common.type = type;
    if (outcome) common.outcome = outcome;
    if (from && to) common.occurredAt = Between(from, to);
    else if (from) common.occurredAt = MoreThanOrEqual(from);
    else if (to) common.occurredAt = LessThanOrEqual(to);
    const where = accountId === undefined ? common : [{ ...common, actorId: accountId }, { ...common, subjectId: accountId }];
    const [items, total] = await this.events.findAndCount({ where, order: { occurredAt: 'DESC', id: 'DESC' }, skip: (page - 1) * pageSize, take: pageSize });
    return { items, total };
  }

  /** Deletes the events older than AUDIT_RETENTION, a batch at a time; returns how many. */
  async purgeExpired(): Promise<number> {
    const cutoff = new Date(Date.now() - this.config.auditRetentionSeconds * 1000);
    let purged = 0;
    for (;;) {
      const expired = await this.events.find({ select: { id: true }, where: { occurredAt: LessThan(cutoff) }, order: { id: 'ASC' }, take: PURGE_BATCH });
      if (expired.length) await this.events.delete(expired.map(({ id }) => id));
      purged += expired.length;
      if (expired.length < PURGE_BATCH) return purged;
    }
  }

  /** A first purge right after start-up (a service restarted often would otherwise never get to one), then on a timer; neither is awaited by anyone. */
  onApplicationBootstrap(): void {
    const interval = Math.min(MAX_PURGE_INTERVAL_MS, this.config.auditRetentionSeconds * 1000);
    this.purgeTimer = setInterval(() => this.startPurge(), interval).unref();
    this.startPurge();
  }

  /** The events still queued are written before the database closes (Nest closes it after this hook). */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.purgeTimer);
    await Promise.all([this.writing, this.purging]);
  }

  private startPurge(): void {
    this.purging ??= this.purgeExpired()
      .then(
        (purged) => {
          if (purged) this.logger.log(`purged ${purged} audit events older than AUDIT_RETENTION`);
        },
        (error: Error) => this.logger.warn(`could not purge the audit trail: ${error.message}`),
      )
      .finally(() => (this.purging = null));
  }

  /** Waits a turn, so that the events of one moment go in one INSERT, then writes until nothing is left. */
  private async writePending(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, INSERT_BATCH);
        try {
          await insertRows(this.events, batch.map(rowOf));
        } catch (error) {
          this.metrics.auditEventsLost.inc({ reason: 'write-failed' }, batch.length);
          this.logger.error(`could not store ${batch.length} audit events (they are in the log): ${(error as Error).message}`);
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private dropForFullQueue(): void {
    this.metrics.auditEventsLost.inc({ reason: 'queue-full' });
    if (Date.now() - this.warnedFullAt < 60_000) return;
    this.warnedFullAt = Date.now();
    this.logger.error(`the audit queue is full (${MAX_PENDING} events waiting for the database): events are logged but not stored`);
  }
}
