import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { SESSIONS_ENDED, SessionsEndedEvent } from '../../sessions/events/sessions-ended.event.js';
import { ACCOUNT_DELETING, AccountDeletingEvent } from '../../users/events/account-deleting.event.js';
import { USER_EVENTS, UserChangedEvent } from '../../users/events/user-changed.event.js';
import { BackchannelLogoutDispatcher } from './backchannel-logout.dispatcher.js';
import { LogoutOutboxService } from './logout-outbox.service.js';

/**
 * Where session ends become back-channel logout notifications: a quick
 * insert while the logout is answered, then the dispatcher is kicked and
 * not waited for. Lives in oauth/, which knows the clients; sessions/ and
 * users/ only announce.
 */
@Injectable()
export class BackchannelLogoutListener {
  private readonly logger = new Logger(BackchannelLogoutListener.name);

  constructor(
    private readonly outbox: LogoutOutboxService,
    private readonly dispatcher: BackchannelLogoutDispatcher,
  ) {}

  /**
   * Sessions ended here (another instance's ends, heard through Redis, were
   * recorded there). A failure to record does not fail the logout: the sweep
   * finds the ended sessions within SWEEP_WINDOW_MS and records them.
   */
  @OnEvent(SESSIONS_ENDED, { promisify: true })
  async sessionsEnded({ sessionIds, origin }: SessionsEndedEvent): Promise<void> {
    if (origin !== 'local') return;
    try {
      if (await this.outbox.recordForSessions(sessionIds)) this.dispatcher.kick();
    } catch (error) {
      this.logger.warn(`back-channel logout not recorded (the sweep will): ${(error as Error).message}`);
    }
  }

  /** The account's sessions are about to vanish with it (ON DELETE CASCADE): recorded in the deletion's transaction, so they are told exactly when it happens. */
  @OnEvent(ACCOUNT_DELETING, { promisify: true, suppressErrors: false })
  async accountDeleting({ userId, manager }: AccountDeletingEvent): Promise<void> {
    await this.outbox.recordForUser(userId, manager);
  }

  /** The deletion committed: what it recorded is due now. */
  @OnEvent(USER_EVENTS.deleted)
  accountDeleted({ origin }: UserChangedEvent): void {
    if (origin === 'local') this.dispatcher.kick();
  }
}
