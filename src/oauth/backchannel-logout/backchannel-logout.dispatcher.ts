import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { OutboundHttpError, OutboundHttpService } from '../../outbound-http/outbound-http.service.js';
import { OutboxDispatcher, type TryOutcome, type TryResult } from '../../outbox/outbox-dispatcher.js';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import { ClientsService } from '../clients/clients.service.js';
import type { LogoutNotification } from './entities/logout-notification.entity.js';
import { LogoutOutboxService, SETTLED_RETENTION_MS } from './logout-outbox.service.js';
import { LogoutTokenService } from './logout-token.service.js';

/** A try's outcome, with the client's HTTP status when it answered (for the audit trail). */
interface LogoutTry extends TryOutcome {
  status: number | null;
}

/**
 * Delivers the back-channel logout outbox (LogoutOutboxService) through the
 * shared leased dispatcher (outbox/): POSTs each client its logout token
 * (OIDC Back-Channel Logout 1.0 §2.5) through OutboundHttpService; 200 or 204
 * is delivered (§2.8), anything else is tried again after a wait that
 * doubles from BACKCHANNEL_LOGOUT_RETRY_BASE up to
 * BACKCHANNEL_LOGOUT_RETRY_MAX, until BACKCHANNEL_LOGOUT_MAX_ATTEMPTS or
 * BACKCHANNEL_LOGOUT_MAX_AGE give it up. Its housekeeping is the sweep
 * (sessions ended without a record, by their lifetime) and the purge.
 */
@Injectable()
export class BackchannelLogoutDispatcher extends OutboxDispatcher<LogoutNotification, LogoutTry> {
  constructor(
    private readonly logouts: LogoutOutboxService,
    private readonly logoutTokens: LogoutTokenService,
    private readonly clients: ClientsService,
    private readonly http: OutboundHttpService,
    private readonly metrics: MetricsService,
    private readonly events: EventEmitter2,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {
    super('back-channel logout', logouts, () => config.backchannelLogout);
    metrics.gaugeOf('gatehouse_backchannel_logout_pending', 'Back-channel logout notifications neither delivered nor given up yet (all instances; NaN when the database does not answer).', () => this.pendingOrUnknown());
  }

  /** A logout token's `iss` is this service's URL (§2.4), settled with PORT=0 only once it listens. */
  protected override readyToDeliver(): boolean {
    return !this.config.publicUrlAwaitsPort;
  }

  protected async housekeeping(): Promise<void> {
    await this.logouts.sweep();
    await this.logouts.purgeSettled(SETTLED_RETENTION_MS);
  }

  protected async attempt(row: LogoutNotification): Promise<LogoutTry> {
    const client = await this.clients.findActive(row.clientId);
    // The client was deleted, or took its URI away, after the session ended: nobody to tell.
    if (!client?.backchannelLogoutUri) return { error: 'no-backchannel-logout-uri', final: true, status: null };
    try {
      const logoutToken = await this.logoutTokens.sign(row);
      const { status } = await this.http.postForm(client.backchannelLogoutUri, { logout_token: logoutToken });
      return { status, error: status === 200 || status === 204 ? null : `http-${status}` };
    } catch (error) {
      if (!(error instanceof OutboundHttpError)) throw error;
      return { status: null, error: error.kind };
    }
  }

  /** Every failed try is audited, with whether it was the last: an operator sees a client that stopped taking them. */
  protected report(row: LogoutNotification, result: TryResult, { error, status = null }: LogoutTry): void {
    this.metrics.backchannelLogoutDeliveries.inc({ outcome: result });
    if (result === 'delivered') {
      this.logger.log(`back-channel logout delivered to client ${row.clientId} (attempt ${row.attempts + 1})`);
      return;
    }
    const gaveUp = result === 'failed';
    this.logger.log(`back-channel logout to client ${row.clientId} failed (attempt ${row.attempts + 1}: ${error})${gaveUp ? ', given up' : ''}`);
    raiseSecurityEvent(this.events, {
      type: 'backchannel-logout.failed',
      outcome: 'failure',
      subjectId: Number.isSafeInteger(Number(row.sub)) ? Number(row.sub) : null,
      details: { clientId: row.clientId, attempt: row.attempts + 1, error, status, gaveUp },
    });
  }
}
