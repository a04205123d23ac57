import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { EMAIL_LINK_PAGES, emailLink } from '../mail/email-links.js';
import type { MailValues } from '../mail/mail-templates.js';
import { MailService } from '../mail/mail.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { LeasedOutbox } from '../outbox/leased-outbox.js';
import { OutboxDispatcher, type TryOutcome, type TryResult } from '../outbox/outbox-dispatcher.js';
import { RECOVERY_TOKEN_TTL_SECONDS, RecoveryTokensService } from '../recovery/recovery-tokens.service.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { KnownSignIn } from './entities/known-sign-in.entity.js';
import { NoticeWindow } from './entities/notice-window.entity.js';
import { SecurityNotice } from './entities/security-notice.entity.js';
import { NOTICE_WORDING } from './notice-wording.js';

/** A device and address not seen for this long is forgotten: signing in from it again is noticed again. */
export const KNOWN_SIGN_IN_RETENTION_MS = 400 * 24 * 60 * 60 * 1000;

/** How a try ended, in a few words: never the SMTP server's own text, which may echo the address. */
function smtpErrorOf(error: unknown): string {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const name = typeof code === 'string' && /^[A-Z_]{1,32}$/.test(code) ? code : 'error';
  return typeof responseCode === 'number' ? `smtp-${name}-${responseCode}` : `smtp-${name}`;
}

/**
 * Mails the security notices' outbox through the shared leased dispatcher
 * (outbox/): one SMTP try per claim (MailService.sendNow), a failed one tried
 * again after NOTICE_RETRY_BASE, doubling up to NOTICE_RETRY_MAX, until
 * NOTICE_MAX_ATTEMPTS or NOTICE_MAX_AGE give it up. Each mail carries a fresh
 * password-reset link, made only when it is sent (a newer one voids the
 * older). Delivered and given-up rows are purged at the next housekeeping
 * (the audit trail keeps `security-notice.sent` and `security-notice.failed`),
 * with the intervals that ran out and sign-ins long unseen.
 */
@Injectable()
export class SecurityNoticesDispatcher extends OutboxDispatcher<SecurityNotice> {
  constructor(
    @InjectRepository(SecurityNotice) notices: Repository<SecurityNotice>,
    @InjectRepository(NoticeWindow) private readonly windows: Repository<NoticeWindow>,
    @InjectRepository(KnownSignIn) private readonly knownSignIns: Repository<KnownSignIn>,
    private readonly mail: MailService,
    private readonly users: UsersService,
    private readonly recoveryTokens: RecoveryTokensService,
    private readonly metrics: MetricsService,
    private readonly events: EventEmitter2,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {
    super('security notice', new LeasedOutbox(notices), () => config.securityNotices);
    metrics.gaugeOf('gatehouse_security_notices_pending', 'Security notices neither sent nor given up yet (all instances; NaN when the database does not answer).', () => this.pendingOrUnknown());
  }

  /** A notice's reset link names this service's URL, settled with PORT=0 only once it listens. */
  protected override readyToDeliver(): boolean {
    return !this.config.publicUrlAwaitsPort;
  }

  /** Sent and given-up rows, windows that ran out, sign-ins not seen for KNOWN_SIGN_IN_RETENTION_MS: nothing reads them any more. */
  protected async housekeeping(): Promise<void> {
    await this.outbox.purgeSettled(0);
    await this.windows.delete({ noticedAt: LessThan(new Date(Date.now() - this.config.securityNotices.intervalSeconds * 1000)) });
    await this.knownSignIns.delete({ lastSeenAt: LessThan(new Date(Date.now() - KNOWN_SIGN_IN_RETENTION_MS)) });
  }

  protected async attempt(row: SecurityNotice): Promise<TryOutcome> {
    const user = await this.users.findFreshById(row.userId);
    // The account was deleted meanwhile: nothing left to protect, and no reset link to give.
    if (!user) return { error: 'no-account', final: true };
    let sent: boolean;
    try {
      sent = await this.mail.sendNow({ to: row.recipient, concerning: `user ${row.userId}`, content: async () => ({ template: 'security-notice', values: await this.valuesOf(row, user) }) });
    } catch (error) {
      return { error: smtpErrorOf(error) };
    }
    // The address's own mail limit (THROTTLE_MAILS) dropped it: trying again would only count against it again.
    return sent ? { error: null } : { error: 'mail-limit', final: true };
  }

  protected report(row: SecurityNotice, result: TryResult, { error }: TryOutcome): void {
    this.metrics.securityNotices.inc({ kind: row.kind, outcome: result === 'delivered' ? 'sent' : result });
    const attempt = row.attempts + 1;
    if (result === 'retry') {
      this.logger.warn(`the ${row.kind} notice for user ${row.userId}: try ${attempt} failed (${error}); trying again later`);
      return;
    }
    if (result === 'delivered') raiseSecurityEvent(this.events, { type: 'security-notice.sent', subjectId: row.userId, details: { kind: row.kind, attempt } });
    else raiseSecurityEvent(this.events, { type: 'security-notice.failed', outcome: 'failure', subjectId: row.userId, details: { kind: row.kind, attempt, error } });
  }

  /** What the template fills: a user agent or an address that was not sent shows as unknown. */
  private async valuesOf(row: SecurityNotice, user: User): Promise<MailValues<'security-notice'>> {
    const minutes = RECOVERY_TOKEN_TTL_SECONDS['reset-password'] / 60;
    // A reset goes to the account's current address (PasswordResetService checks it): without one, the hosted pages' address instead.
    const link = user.emailKey ? emailLink(this.config, EMAIL_LINK_PAGES.resetPassword, (await this.recoveryTokens.issue(user, 'reset-password')).token) : this.config.publicUrl;
    const { headline, what, advice } = NOTICE_WORDING[row.kind];
    return {
      headline,
      what: what(user.username),
      advice,
      username: user.username,
      time: row.occurredAt.toISOString(),
      address: row.clientAddress ?? 'unknown',
      userAgent: row.userAgent ?? 'unknown',
      link,
      minutes: String(minutes),
    };
  }
}
