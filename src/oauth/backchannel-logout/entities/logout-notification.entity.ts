import { Column, Entity, Index } from 'typeorm';
import { OutboxRow } from '../../../outbox/outbox-row.js';

/**
 * The outbox of OpenID Connect Back-Channel Logout 1.0: one row per client to
 * tell that a browser session it took part in ended (or its own session in
 * it). Unique on the newest client session it tells the end of, so however
 * many ways an end is noticed (the event, the sweep, several instances), the
 * client is told once; a later sign-in of the client in the same browser
 * session is a new session, and its end is told again. A row lives on through
 * restarts until it is delivered or given up; no foreign keys, so it outlives
 * an account deleted with its sessions.
 */
@Entity({ name: 'logout_notifications' })
@Index(['clientId', 'sid'])
@Index(['nextAttemptAt'])
export class LogoutNotification extends OutboxRow {
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  /** The browser session that ended (or whose client session did): the logout token's `sid`. */
  @Column({ type: 'varchar', length: 36 })
  sid: string;

  /** The newest of the client's sessions in `sid` whose end this row tells; no foreign key (sessions are purged an hour after their end). */
  @Index({ unique: true })
  @Column({ name: 'session_id', type: 'varchar', length: 36 })
  sessionId: string;

  /** The user's id: the logout token's `sub`. */
  @Column({ type: 'varchar', length: 64 })
  sub: string;
}
