import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One change every instance must apply to what it holds in memory (a revoked
 * access token, ended sessions, a changed account, new signing keys), as the
 * instance that made it wrote it. The database is the truth: the other
 * instances read these rows every CHANGE_FEED_INTERVAL_MS, with Redis up or
 * not, so no revocation depends on a pub/sub message arriving (in time).
 */
@Entity({ name: 'shared_changes' })
export class SharedChange {
  @PrimaryGeneratedColumn()
  id: number;

  /** The instance that made it (EventsBroadcast's instance id): it skips its own. */
  @Column({ type: 'varchar', length: 36 })
  instance: string;

  @Column({ type: 'varchar', length: 64 })
  event: string;

  /** The event's fields, JSON; read back through sharedEventFrom, as a Redis message is. */
  @Column({ type: 'text' })
  payload: string;

  @Index()
  @Column({ name: 'created_at', type: Date })
  createdAt: Date;
}
