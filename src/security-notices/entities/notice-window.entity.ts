import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { SecurityNoticeKind } from '../../config/configuration.js';

/**
 * When an account was last sent a notice of a kind: the row that holds every
 * instance to one mail per kind and account per NOTICE_INTERVAL. Claimed by
 * one conditional UPDATE, or by the INSERT of its primary key, so of any
 * number of concurrent events one wins.
 */
@Entity({ name: 'security_notice_windows' })
export class NoticeWindow {
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  kind: SecurityNoticeKind;

  @Column({ name: 'noticed_at', type: Date })
  noticedAt: Date;
}
