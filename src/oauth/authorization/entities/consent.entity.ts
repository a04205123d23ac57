import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { User } from '../../../users/entities/user.entity.js';

/** What a user allowed a client that is not first-party: the scopes, remembered until withdrawn (OAUTH.md, "Consent"). */
@Entity({ name: 'consents' })
@Index(['userId', 'clientId'], { unique: true })
export class Consent {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Index()
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  /** Space-separated scopes granted so far. */
  @Column({ type: 'varchar', length: 1024 })
  scope: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
