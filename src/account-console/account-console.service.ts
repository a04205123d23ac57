import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { ConsoleVisitor } from '../console-session/console-session.service.js';
import { ConsentsService } from '../oauth/authorization/consents.service.js';
import { ClientsService } from '../oauth/clients/clients.service.js';
import { PasskeysService } from '../passkeys/passkeys.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { deviceOf, describeEvent, formatTime } from '../pages/console-format.js';

/** The notice after a change (redirect-after-post, `?done=`): fixed sentences, never text from the query. */
export const ACCOUNT_NOTICES: Record<string, string> = {
  'email-changed': 'Your e-mail address is changed. A link and a code to verify it are on their way to it.',
  'email-resent': 'A new verification mail is on its way; the earlier link and code no longer work.',
  'sessions-ended': 'Every other session has ended.',
  'session-ended': 'That session has ended.',
  'two-factor-off': 'Two-factor authentication is off.',
  'passkey-added': 'The passkey is added: you can sign in with it.',
  'passkey-renamed': 'The passkey is renamed.',
  'passkey-removed': 'The passkey is removed.',
  'application-withdrawn': 'The application’s access is withdrawn: it must ask again.',
};

/** How many of the account's security events the page shows. */
const RECENT_EVENTS = 20;

/**
 * The account page's view model, assembled from the services the API uses
 * (sessions, passkeys, consents, the audit trail): this class decides
 * nothing, it only reads and shapes what the template shows.
 */
@Injectable()
export class AccountConsoleService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly passkeys: PasskeysService,
    private readonly consents: ConsentsService,
    private readonly clients: ClientsService,
    private readonly audit: AuditService,
  ) {}

  async page({ user, session }: ConsoleVisitor, done?: string) {
    const clientName = async (clientId: string | null) => (clientId ? ((await this.clients.findActive(clientId))?.clientName ?? clientId) : null);
    const sessions = await Promise.all(
      (await this.sessions.listLive(user.id)).map(async (live) => ({
        id: live.id,
        current: live.id === session.id,
        device: deviceOf(live.lastUserAgent ?? live.createdUserAgent),
        address: live.lastAddress ?? live.createdAddress ?? 'unknown',
        lastUsed: formatTime(live.lastUsedAt),
        signedIn: formatTime(live.createdAt),
        application: live.kind === 'browser' ? 'This sign-in service (browser)' : ((await clientName(live.clientId)) ?? 'Direct sign-in'),
      })),
    );
    const applications = await Promise.all(
      (await this.consents.list(user.id)).map(async (consent) => ({ clientId: consent.clientId, name: await clientName(consent.clientId), scope: consent.scope, since: formatTime(consent.createdAt) })),
    );
    const passkeys = (await this.passkeys.list(user.id)).map((passkey) => ({ id: passkey.id, name: passkey.name, added: formatTime(passkey.createdAt), lastUsed: passkey.lastUsedAt ? formatTime(passkey.lastUsedAt) : 'never' }));
    const events = (await this.audit.findPage({ accountId: user.id }, 1, RECENT_EVENTS)).items.map((event) => ({
      when: formatTime(event.occurredAt),
      what: describeEvent(event.type),
      outcome: event.outcome,
      address: event.clientAddress ?? '',
    }));
    return {
      account: { username: user.username, email: user.email, emailVerified: user.emailVerifiedAt !== null, totpEnabled: user.totpEnabled, role: user.role },
      sessions,
      applications,
      passkeys,
      events,
      notice: done ? ACCOUNT_NOTICES[done] : undefined,
    };
  }
}
