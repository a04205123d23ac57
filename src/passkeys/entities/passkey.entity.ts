import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

/** How an authenticator keeps the credential (WebAuthn §6.1.3, the BE flag): on one device, or synced across the person's devices. */
export type PasskeyDeviceType = 'singleDevice' | 'multiDevice';

/** A uint32 signature counter (WebAuthn §6.1.1) in a bigint column, which PostgreSQL's driver reads back as text. */
const counterColumn = { to: (value: number) => value, from: (value: string | number | null) => Number(value ?? 0) };

/**
 * A passkey: a public-key credential registered for an account (WebAuthn §7.1
 * step 27), kept with what an assertion is checked against — the public key
 * and the signature counter — and what the account's list shows. The private
 * key never leaves the authenticator.
 */
@Entity({ name: 'passkeys' })
export class Passkey {
  /** Ours, for the API's paths: never the credential id, which the authenticator chose. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Index()
  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** The credential id, base64url (at most 1023 bytes, WebAuthn §4 "Credential ID"): one account at most. */
  @Index({ unique: true })
  @Column({ name: 'credential_id', type: 'varchar', length: 1400 })
  credentialId: string;

  /** The COSE public key, base64url. */
  @Column({ name: 'public_key', type: 'text' })
  publicKey: string;

  /** The last signature counter seen; 0 for an authenticator that keeps none. */
  @Column({ type: 'bigint', default: 0, transformer: counterColumn })
  counter: number;

  /** The transports the browser reported (`internal`, `hybrid`, `usb`…), space-separated: hints for excludeCredentials. */
  @Column({ type: 'varchar', length: 256, default: '' })
  transports: string;

  @Column({ name: 'device_type', type: 'varchar', length: 16 })
  deviceType: PasskeyDeviceType;

  /** The BS flag at the last ceremony: the credential is backed up (synced). */
  @Column({ name: 'backed_up', type: 'boolean', default: false })
  backedUp: boolean;

  /** The person's name for it ("Work laptop"). */
  @Column({ type: 'varchar', length: 64 })
  name: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: Date, nullable: true })
  lastUsedAt: Date | null;
}
