import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration, type SecurityNoticeKind } from '../config/configuration.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { freshOutboxRow } from '../outbox/outbox-row.js';
import type { SecurityEvent } from '../security-events/security-event.js';
import { hashOpaqueToken } from '../tokens/opaque-token.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { KnownSignIn } from './entities/known-sign-in.entity.js';
import { NoticeWindow } from './entities/notice-window.entity.js';
import { SecurityNotice } from './entities/security-notice.entity.js';
import { noticeTriggerOf } from './notice-triggers.js';
import { SecurityNoticesDispatcher } from './security-notices.dispatcher.js';

/**
 * Turns security events into queued notices: which kind (noticeTriggerOf),
 * whether it is on (SECURITY_NOTICES), to which verified address, and
 * whether its interval allows one (NOTICE_INTERVAL, claimed in the database,
 * so of any number of events on any number of instances one wins). Then a row
 * in the outbox, and the dispatcher is kicked. Runs beside the request that
 * raised the event, never in it: a failure here is logged, never answered.
 */
@Injectable()
export class SecurityNoticesService implements OnModuleDestroy {
  private readonly logger = new Logger(SecurityNoticesService.name);
  /** Events being recorded, for `settled`. */
  private readonly recording = new Set<Promise<unknown>>();

  constructor(
    @InjectRepository(SecurityNotice) private readonly notices: Repository<SecurityNotice>,
    @InjectRepository(NoticeWindow) private readonly windows: Repository<NoticeWindow>,
    @InjectRepository(KnownSignIn) private readonly knownSignIns: Repository<KnownSignIn>,
    private readonly users: UsersService,
    private readonly dispatcher: SecurityNoticesDispatcher,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /** A security event heard: recorded in the background, never thrown. */
  hear(event: SecurityEvent): void {
    if (!noticeTriggerOf(event)) return;
    const recorded = this.record(event)
      .catch((error: Error) => this.logger.warn(`a ${event.type} security notice was not recorded: ${error.message}`))
      .finally(() => this.recording.delete(recorded));
    this.recording.add(recorded);
  }

  /** Events heard are recorded before the database closes (what was not kicked is delivered after the restart). */
  async onModuleDestroy(): Promise<void> {
    while (this.recording.size) await Promise.all(this.recording);
  }

  /** Resolves once every event heard is recorded and this instance's dispatcher has no try under way. */
  async settled(): Promise<void> {
    while (this.recording.size) await Promise.all(this.recording);
    await this.dispatcher.idle();
  }

  /** The notice the event calls for, queued, unless it is off, the account has no verified address, or the interval holds it back. */
  async record(event: SecurityEvent): Promise<boolean> {
    const trigger = noticeTriggerOf(event);
    if (!trigger) return false;
    const { kind } = trigger;
    const user = 'id' in trigger.account ? await this.users.findFreshById(trigger.account.id) : await this.users.findByUsername(trigger.account.username);
    if (!user) return false;
    // Every completed sign-in is remembered, whether or not its notice is on: turning it on later does not call every device new.
    if (kind === 'new-sign-in' && !(await this.isNewSignIn(user.id, event))) return false;
    if (!this.config.securityNotices.kinds.has(kind)) return false;
    const recipient = trigger.recipient ?? verifiedAddressOf(user);
    if (!recipient) return false;
    if (!(await this.claimInterval(user.id, kind))) {
      this.metrics.securityNotices.inc({ kind, outcome: 'suppressed' });
      return false;
    }
    await this.notices.insert({
      ...freshOutboxRow(),
      userId: user.id,
      kind,
      recipient,
      occurredAt: event.occurredAt,
      clientAddress: event.clientAddress,
      userAgent: event.userAgent,
    });
    this.metrics.securityNotices.inc({ kind, outcome: 'queued' });
    this.dispatcher.kick();
    return true;
  }

  /**
   * Whether this sign-in's user agent and address, as a pair, are new for
   * the account, remembering them either way. The account's very first
   * sign-in is not new: there is nothing it could be told apart from.
   */
  private async isNewSignIn(userId: number, event: SecurityEvent): Promise<boolean> {
    const fingerprint = hashOpaqueToken(`${event.userAgent ?? ''}\n${event.clientAddress ?? ''}`);
    const lastSeenAt = new Date();
    try {
      await this.knownSignIns.insert({ userId, fingerprint, lastSeenAt });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await this.knownSignIns.update({ userId, fingerprint }, { lastSeenAt });
      return false;
    }
    return (await this.knownSignIns.countBy({ userId })) > 1;
  }

  /**
   * Takes the account's interval for this kind, or finds another event took
   * it: one conditional UPDATE of a window that ran out, else the INSERT of a
   * first one, whose primary key lets one of any concurrent INSERTs through.
   * Either statement alone decides, on SQLite and PostgreSQL alike (the
   * UPDATE re-checks its condition once a competing one commits).
   */
  private async claimInterval(userId: number, kind: SecurityNoticeKind): Promise<boolean> {
    const now = new Date();
    const ranOut = new Date(now.getTime() - this.config.securityNotices.intervalSeconds * 1000);
    const renewed = await this.windows
      .createQueryBuilder()
      .update()
      .set({ noticedAt: now })
      .where('user_id = :userId AND kind = :kind AND noticed_at <= :ranOut', { userId, kind, ranOut })
      .execute();
    if (renewed.affected) return true;
    try {
      await this.windows.insert({ userId, kind, noticedAt: now });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}

function verifiedAddressOf(user: User): string | null {
  return user.email && user.emailVerifiedAt ? user.email : null;
}
