import { Inject, Injectable } from '@nestjs/common';
import { AuditService, type AuditFilter } from '../audit/audit.service.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import type { OAuthClient } from '../oauth/clients/entities/oauth-client.entity.js';
import { ClientsService } from '../oauth/clients/clients.service.js';
import { GRANT_TYPES } from '../oauth/clients/client-metadata.js';
import { describeEvent, deviceOf, formatTime } from '../pages/console-format.js';
import { PasskeysService } from '../passkeys/passkeys.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { SigningKeysService } from '../tokens/signing-keys.service.js';
import type { User } from '../users/entities/user.entity.js';
import { LAST_ADMIN_MESSAGE, UsersService } from '../users/users.service.js';
import { csvOf } from './audit-csv.js';
import { maskedConfiguration } from './masked-configuration.js';

/** Accounts, clients and events a page lists. */
export const CONSOLE_PAGE_SIZE = 20;
/** The most rows one CSV export holds (the newest): beyond that, narrow the filters. */
export const CSV_MAX_ROWS = 10_000;

/** The notice after a change (redirect-after-post, `?done=`): fixed sentences, never text from the query. */
export const ADMIN_NOTICES: Record<string, string> = {
  'role-changed': 'The role is changed.',
  'sessions-ended': 'Every session of the account has ended: its tokens no longer work.',
  'two-factor-reset': 'Two-factor is off for the account: it signs in with the password alone until it sets it up again.',
  'user-deleted': 'The account is deleted.',
  'client-updated': 'The application is changed.',
  'client-deleted': 'The application is deleted: its tokens no longer work.',
  'key-rotated': 'A new signing key is published; it signs once its publication delay has passed.',
  'key-revoked': 'The key is revoked: tokens it signed no longer verify.',
};

const clientView = (client: OAuthClient) => ({
  clientId: client.clientId,
  name: client.clientName,
  redirectUris: client.redirectUris,
  grantTypes: client.grantTypes,
  authMethod: client.tokenEndpointAuthMethod,
  confidential: client.tokenEndpointAuthMethod !== 'none' && client.tokenEndpointAuthMethod !== 'private_key_jwt',
  skipConsent: client.skipConsent,
  scope: client.scope,
  created: formatTime(client.createdAt),
});

/**
 * The admin console's view models, from the services the admin API uses:
 * reading and shaping only. Every rule (the last admin, a client's metadata,
 * a key's lifetime) stays in those services.
 */
@Injectable()
export class AdminConsoleService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly passkeys: PasskeysService,
    private readonly clients: ClientsService,
    private readonly signingKeys: SigningKeysService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  async usersPage(search: string | undefined, page: number) {
    const { items, total } = await this.users.findPage(page, CONSOLE_PAGE_SIZE, search?.trim() || undefined);
    return {
      search: search ?? '',
      users: items.map((user) => ({ id: user.id, username: user.username, email: user.email ?? '', role: user.role, totpEnabled: user.totpEnabled })),
      ...this.pager(page, total, (to) => `/admin/users?${new URLSearchParams({ ...(search ? { q: search } : {}), page: String(to) })}`),
    };
  }

  async userPage(user: User) {
    const lastAdmin = user.role === 'admin' && (await this.users.countAdmins()) <= 1;
    const sessions = (await this.sessions.listLive(user.id)).map((session) => ({ device: deviceOf(session.lastUserAgent ?? session.createdUserAgent), address: session.lastAddress ?? session.createdAddress ?? '', lastUsed: formatTime(session.lastUsedAt), kind: session.kind }));
    const passkeys = (await this.passkeys.list(user.id)).map((passkey) => ({ name: passkey.name, added: formatTime(passkey.createdAt) }));
    return {
      user: { id: user.id, username: user.username, email: user.email ?? '', emailVerified: user.emailVerifiedAt !== null, role: user.role, totpEnabled: user.totpEnabled, created: formatTime(user.createdAt) },
      lastAdmin,
      lastAdminMessage: LAST_ADMIN_MESSAGE,
      sessions,
      passkeys,
    };
  }

  async clientsPage(page: number) {
    const { items, total } = await this.clients.findPage(page, CONSOLE_PAGE_SIZE);
    return { clients: items.map(clientView), grantTypes: GRANT_TYPES, ...this.pager(page, total, (to) => `/admin/clients?page=${to}`) };
  }

  async clientPage(clientId: string) {
    return { client: clientView(await this.clients.findOrThrow(clientId)), grantTypes: GRANT_TYPES };
  }

  async keysPage() {
    const keys = await this.signingKeys.describe();
    return { keys: keys.map((key) => this.keyView(key)) };
  }

  async keyPage(kid: string) {
    const key = (await this.signingKeys.describe()).find((candidate) => candidate.kid === kid);
    return key ? { key: this.keyView(key) } : null;
  }

  async auditPage(filter: AuditFilter, page: number, query: Record<string, string>) {
    const { items, total } = await this.audit.findPage(filter, page, CONSOLE_PAGE_SIZE);
    return {
      filters: query,
      csv: `/admin/audit.csv?${new URLSearchParams(query)}`,
      events: items.map((event) => ({
        when: formatTime(event.occurredAt),
        type: event.type,
        what: describeEvent(event.type),
        outcome: event.outcome,
        actor: event.actorId ?? '',
        subject: event.subjectId ?? '',
        address: event.clientAddress ?? '',
        details: JSON.stringify(event.details ?? {}),
      })),
      ...this.pager(page, total, (to) => `/admin/audit?${new URLSearchParams({ ...query, page: String(to) })}`),
    };
  }

  /** The trail under the filters as CSV, newest first, page by page through AuditService (at most CSV_MAX_ROWS). */
  async auditCsv(filter: AuditFilter): Promise<string> {
    const rows: unknown[][] = [['occurred_at', 'type', 'outcome', 'actor_id', 'subject_id', 'client_address', 'user_agent', 'request_id', 'details']];
    for (let page = 1; rows.length <= CSV_MAX_ROWS; page++) {
      const { items } = await this.audit.findPage(filter, page, 100);
      for (const event of items) rows.push([event.occurredAt, event.type, event.outcome, event.actorId, event.subjectId, event.clientAddress, event.userAgent, event.requestId, event.details]);
      if (items.length < 100) break;
    }
    return csvOf(rows.slice(0, CSV_MAX_ROWS + 1));
  }

  configurationPage() {
    return { settings: maskedConfiguration(this.config) };
  }

  private keyView(key: { kid: string; algorithm: string; generation: number; createdAt: Date; signsFrom: Date; retiresAt: Date | null; revokedAt: Date | null }) {
    const now = Date.now();
    const state = key.revokedAt ? 'revoked' : key.retiresAt && key.retiresAt.getTime() <= now ? 'retired' : key.signsFrom.getTime() > now ? 'published, not signing yet' : key.retiresAt ? 'verifying only' : 'signing';
    return { kid: key.kid, algorithm: key.algorithm, generation: key.generation, created: formatTime(key.createdAt), signsFrom: formatTime(key.signsFrom), retires: key.retiresAt ? formatTime(key.retiresAt) : '', state, revocable: !key.revokedAt };
  }

  private pager(page: number, total: number, link: (page: number) => string) {
    const pages = Math.max(1, Math.ceil(total / CONSOLE_PAGE_SIZE));
    return { total, page, pages, previous: page > 1 ? link(page - 1) : null, next: page < pages ? link(page + 1) : null };
  }
}
