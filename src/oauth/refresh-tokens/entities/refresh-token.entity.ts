import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../../users/entities/user.entity.js';
import { Session } from '../../../sessions/entities/session.entity.js';

/**
 * One refresh token, stored only as a SHA-256 hash. The tokens of one login
 * belong to its session (a chain through `parentId`); rotation spends a token
 * and adds its child, and presenting a spent token revokes the session.
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshToken {
  @PrimaryGeneratedColumn()
  id: number;

  @Index()
  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** Hex SHA-256 of the token: the token itself has 256 random bits, so a fast hash is enough. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  @Index()
  @Column({ name: 'session_id', type: 'varchar', length: 36 })
  sessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id' })
  session?: Session;

  @Column({ name: 'parent_id', type: 'integer', nullable: true })
  parentId: number | null;

  @Index()
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  /** Set when the token was exchanged for its successor (rotation). */
  @Column({ name: 'spent_at', type: Date, nullable: true })
  spentAt: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
