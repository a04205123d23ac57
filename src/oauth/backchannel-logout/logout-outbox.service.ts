import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, IsNull, MoreThan, Repository, type EntityManager } from 'typeorm';
import { LeasedOutbox } from '../../outbox/leased-outbox.js';
import { freshOutboxRow } from '../../outbox/outbox-row.js';
import { Session } from '../../sessions/entities/session.entity.js';
import { EXPIRED_SESSION_RETENTION_MS } from '../../sessions/sessions.service.js';
import { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { LogoutNotification } from './entities/logout-notification.entity.js';

/** A client session whose end its client is to be told: the client, the browser session (`sid`), the user (`sub`). */
interface Pending {
  clientId: string;
  sid: string;
  sub: string;
  sessionId: string;
  /** As the driver returns it (a Date on PostgreSQL, sortable text on SQLite): only compared with its kind. */
  createdAt: Date | string;
}

/** Session ids per query: far below every driver's limit on bound parameters. */
const IDS_PER_QUERY = 500;
/** Delivered and given-up rows are kept this long (for an operator to look at), then purged. */
export const SETTLED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * How far back the sweep looks for sessions that ended, which is how long a
 * session's end may go unrecorded (every instance down) and still be told.
 * Within the time purgeExpired keeps an expired session.
 */
export const SWEEP_WINDOW_MS = EXPIRED_SESSION_RETENTION_MS - 5 * 60 * 1000;

/**
 * The outbox table of back-channel logout: what is recorded when sessions
 * end, what an instance claims to deliver, and how each try settles. Every
 * write that more than one instance may race on is one conditional
 * statement: a row is keyed by the newest client session it tells the end
 * of (unique session_id), so recording the same end twice, here or on
 * another instance, keeps one row; claims and settlements are LeasedOutbox's.
 */
@Injectable()
export class LogoutOutboxService extends LeasedOutbox<LogoutNotification> {
  constructor(@InjectRepository(LogoutNotification) private readonly notifications: Repository<LogoutNotification>) {
    super(notifications);
  }

  /**
   * Records the clients to tell that these sessions ended (OIDC Back-Channel
   * Logout §2.5, "took part"): for an ended browser session, every client
   * with a token session grown from it, ended or not; for a client's token
   * session, that client, with its browser session as `sid`. Only clients
   * with a backchannel_logout_uri, and only sessions no earlier logout token
   * of that client and `sid` covered (see `told`). A token session with no
   * browser session (the password grant) has no `sid` to send, so none is
   * recorded. Returns how many were recorded or found recorded. `manager`: a
   * transaction to record in.
   */
  async recordForSessions(sessionIds: string[], manager: EntityManager = this.notifications.manager): Promise<number> {
    let recorded = 0;
    for (let start = 0; start < sessionIds.length; start += IDS_PER_QUERY) {
      const ids = sessionIds.slice(start, start + IDS_PER_QUERY);
      const pending = await this.participants(manager)
        .andWhere(new Brackets((either) => either.where('child.id IN (:...ids)', { ids }).orWhere('child.parent_id IN (:...ids)', { ids })))
        .getRawMany<Pending>();
      recorded += await this.insert(pending, manager);
    }
    return recorded;
  }

  /** Every live session of this user, about to be deleted with the account: recorded through the deletion's transaction. */
  async recordForUser(userId: number, manager: EntityManager): Promise<number> {
    const live = await manager.find(Session, { select: { id: true }, where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) } });
    return this.recordForSessions(
      live.map(({ id }) => id),
      manager,
    );
  }

  /**
   * Sessions that ended within SWEEP_WINDOW_MS, by anyone or by their
   * lifetime (expires_at passed: nobody announces that), whose clients were
   * not told yet. Closes the gap a process leaves when it dies between ending a
   * session and recording, and a code exchange that raced the end.
   */
  async sweep(): Promise<number> {
    const now = new Date();
    const since = new Date(now.getTime() - SWEEP_WINDOW_MS);
    const ended = (alias: string) => `(${alias}.revoked_at > :since OR (${alias}.expires_at > :since AND ${alias}.expires_at <= :now))`;
    const pending = await this.participants(this.notifications.manager)
      .innerJoin(Session, 'parent', 'parent.id = child.parent_id')
      .andWhere(`(${ended('parent')} OR ${ended('child')})`, { since, now })
      .getRawMany<Pending>();
    return this.insert(pending, this.notifications.manager);
  }

  /**
   * Token sessions with a browser session (`sid`) whose client registered a
   * backchannel_logout_uri and was not told yet: the candidates. A logout
   * token for a `sid` ends, at the client, every session it has with that
   * `sid` (§2.7), so it covers the client's sessions born up to the newest
   * one it was recorded for; a session born after it (the person signed in
   * to the client again, single sign-on, in the same browser session) is
   * told anew when it ends.
   */
  private participants(manager: EntityManager) {
    return manager
      .createQueryBuilder(Session, 'child')
      .innerJoin(OAuthClient, 'client', 'client.client_id = child.client_id')
      .select(['child.client_id AS "clientId"', 'child.parent_id AS "sid"', 'child.user_id AS "sub"', 'child.id AS "sessionId"', 'child.created_at AS "createdAt"'])
      .where("child.kind = 'token' AND child.parent_id IS NOT NULL AND client.backchannel_logout_uri IS NOT NULL")
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM logout_notifications told INNER JOIN sessions covered ON covered.id = told.session_id
          WHERE told.client_id = child.client_id AND told.sid = child.parent_id AND covered.created_at >= child.created_at)`,
      );
  }

  /**
   * One row per (client, sid) among the candidates, keyed by the newest of its
   * sessions (ties: the greatest id), insert-or-ignore: whoever records the
   * same end (the event, the sweep, another instance) finds the same newest
   * session, and one row stays.
   */
  private async insert(pending: Pending[], manager: EntityManager): Promise<number> {
    const newest = new Map<string, Pending>();
    for (const row of pending) {
      const key = `${row.clientId} ${row.sid}`;
      const known = newest.get(key);
      if (!known || compareBirth(row, known) > 0) newest.set(key, row);
    }
    const unique = [...newest.values()].map(({ clientId, sid, sub, sessionId }) => ({ clientId, sid, sub: String(sub), sessionId }));
    if (!unique.length) return 0;
    const fresh = freshOutboxRow();
    await manager
      .createQueryBuilder()
      .insert()
      .into(LogoutNotification)
      .values(unique.map((row) => ({ ...row, ...fresh })))
      .orIgnore()
      .updateEntity(false)
      .execute();
    return unique.length;
  }
}

/** Which of two sessions was born later: by created_at (both from one driver, so both Dates or both sortable text), then by id. */
function compareBirth(a: Pending, b: Pending): number {
  const time = (value: Date | string) => (value instanceof Date ? value.toISOString() : String(value));
  const [ta, tb] = [time(a.createdAt), time(b.createdAt)];
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
}
