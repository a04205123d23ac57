import { createHash, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { BadRequestException, Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2, EventEmitterReadinessWatcher, OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { IsNull, LessThanOrEqual, Repository } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration, type JwtAlgorithm } from '../config/configuration.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { SIGNING_KEYS_CHANGED, SigningKeysChangedEvent } from './events/token-events.js';
import { decryptPrivateKey, encryptPrivateKey } from './key-encryption.js';
import { raiseSecurityEvent, type Actor } from '../security-events/security-event.js';

/** Why a key was added, as its `key.rotated` event says. */
type RotationTrigger = 'request' | 'schedule' | 'no-signing-key';

/** How often each instance reads the key set again (keys rotated elsewhere, automatic rotation). */
const RELOAD_INTERVAL_MS = 30_000;
/** An unknown `kid` makes an instance read the keys again, at most this often. */
const UNKNOWN_KID_RELOAD_MS = 1_000;
/** Slack for clocks a few seconds apart. */
export const CLOCK_TOLERANCE_SECONDS = 5;

export interface UsableKey {
  kid: string;
  generation: number;
  algorithm: JwtAlgorithm;
  publicKey: KeyObject;
  privateKey: KeyObject;
  signsFrom: Date;
  /** When it leaves the key set: every token it signed has expired by then. Null while it is the newest. */
  retiresAt: Date | null;
}

export interface KeyDescription {
  kid: string;
  algorithm: string;
  generation: number;
  createdAt: Date;
  signsFrom: Date;
  retiresAt: Date | null;
  revokedAt: Date | null;
}

const KEY_PAIR_OPTIONS = {
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: () => generateKeyPairSync('ed25519'),
};

/**
 * The keys that sign and verify access tokens. Asymmetric keys live in the
 * database (signing_keys), shared by every instance: the first start creates
 * one; a rotation publishes the next one KEY_PUBLISH_AHEAD before it signs;
 * the old one verifies until its last token has expired; a revoked key ends
 * its tokens at once. With HS256 there is one key, JWT_SECRET, never published.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  private keys: UsableKey[] = [];
  private lastReload = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(SigningKey) private readonly signingKeys: Repository<SigningKey>,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly events: EventEmitter2,
    private readonly eventsReady: EventEmitterReadinessWatcher,
  ) {}

  get symmetric(): boolean {
    return this.config.jwt.algorithm === 'HS256';
  }

  async onModuleInit(): Promise<void> {
    if (this.symmetric) {
      this.keys = [this.sharedSecretKey()];
      return;
    }
    await this.ensureSigningKey();
    await this.reload();
    this.timer = setInterval(() => void this.tick(), RELOAD_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The key that signs now: the newest one whose time has come. */
  signingKey(): UsableKey {
    const now = Date.now();
    const signing = this.keys.filter((key) => key.signsFrom.getTime() <= now && key.algorithm === this.config.jwt.algorithm).at(-1);
    if (!signing) throw new Error('no signing key is loaded');
    return signing;
  }

  /** The key a token names, while it is in the key set; an unknown kid reads the set again first (a rotation elsewhere). */
  async verificationKey(kid: string): Promise<UsableKey | null> {
    const known = this.keys.find((key) => key.kid === kid && !this.hasRetired(key));
    if (known || this.symmetric || Date.now() - this.lastReload < UNKNOWN_KID_RELOAD_MS) return known ?? null;
    await this.reload();
    return this.keys.find((key) => key.kid === kid && !this.hasRetired(key)) ?? null;
  }

  /** RFC 7517: the public keys of the set, read from the database, so every instance publishes the same. */
  async publishedKeys(): Promise<JWK[]> {
    if (this.symmetric) return [];
    const live = await this.liveRows();
    return live.rows.filter((row) => !isRetired(row, live)).map((row) => ({ ...(JSON.parse(row.publicJwk) as JWK), kid: row.kid, alg: row.algorithm, use: 'sig' }));
  }

  /** Every key row, newest first, for admins. */
  async describe(): Promise<KeyDescription[]> {
    const rows = await this.signingKeys.find({ order: { generation: 'DESC' } });
    const live = { rows: rows.filter((row) => !row.revokedAt), retirement: this.retirementSeconds() };
    return rows.map(({ kid, algorithm, generation, createdAt, signsFrom, revokedAt }) => ({
      kid,
      algorithm,
      generation,
      createdAt,
      signsFrom,
      retiresAt: revokedAt ? null : retirementOf({ generation }, live),
      revokedAt,
    }));
  }

  /**
   * Adds the next key, asked for by `by` (an admin, or the command line):
   * published now, signing after KEY_PUBLISH_AHEAD. Keys that have left the
   * set are deleted on the way.
   */
  async rotate(by: Actor = {}): Promise<KeyDescription> {
    if (this.symmetric) throw new BadRequestException('JWT_ALGORITHM is HS256: tokens are signed with JWT_SECRET, there are no keys to rotate.');
    return this.addKey(((await this.newestRow())?.generation ?? 0) + 1, false, 'request', by);
  }

  /** The key of `generation`: a concurrent addition of the same generation fails on its unique index, so only one lands. */
  private async addKey(generation: number, immediately: boolean, trigger: RotationTrigger, by: Actor = {}): Promise<KeyDescription> {
    const algorithm = this.config.jwt.algorithm as Exclude<JwtAlgorithm, 'HS256'>;
    const { publicKey, privateKey } = KEY_PAIR_OPTIONS[algorithm]();
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(jwk);
    const encryptedPrivateKey = encryptPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, this.config.keys.encryptionSecret);
    const signsFrom = new Date(Date.now() + (immediately ? 0 : this.config.keys.publishAheadSeconds * 1000));
    await this.signingKeys.insert({ kid, generation, algorithm, publicJwk: JSON.stringify(jwk), encryptedPrivateKey, signsFrom, revokedAt: null });
    await this.purgeRetired();
    await this.announce();
    // The first key is made during start-up: its event waits for the listeners.
    raiseSecurityEvent(this.events, { type: 'key.rotated', ...by, details: { kid, algorithm, generation, signsFrom: signsFrom.toISOString(), trigger } }, this.eventsReady);
    this.logger.log(`Signing key ${kid} (${algorithm}, generation ${generation}) published; it signs from ${signsFrom.toISOString()}.`);
    return (await this.describe()).find((key) => key.kid === kid)!;
  }

  /** Compromise: the key stops verifying at once, so its tokens end; if it was signing, the next key signs at once. */
  async revoke(kid: string, by: Actor = {}): Promise<KeyDescription | null> {
    const revoked = await this.signingKeys.update({ kid, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (!revoked.affected) return (await this.describe()).find((key) => key.kid === kid) ?? null;
    raiseSecurityEvent(this.events, { type: 'key.revoked', ...by, details: { kid } });
    await this.ensureSigningKey();
    await this.announce();
    this.logger.warn(`Signing key ${kid} revoked: its tokens are refused from now on.`);
    return (await this.describe()).find((key) => key.kid === kid) ?? null;
  }

  /** A change made here or heard from another instance. */
  @OnEvent(SIGNING_KEYS_CHANGED)
  async reload(): Promise<void> {
    if (this.symmetric) return;
    this.lastReload = Date.now();
    const live = await this.liveRows();
    this.keys = live.rows.map((row) => ({
      kid: row.kid,
      generation: row.generation,
      algorithm: row.algorithm as JwtAlgorithm,
      publicKey: createPublicKey({ key: JSON.parse(row.publicJwk) as JWK, format: 'jwk' } as Parameters<typeof createPublicKey>[0]),
      privateKey: createPrivateKey(decryptPrivateKey(row.encryptedPrivateKey, this.config.keys.encryptionSecret)),
      signsFrom: row.signsFrom,
      retiresAt: retirementOf(row, live),
    }));
  }

  /** Read again, and rotate when KEY_ROTATION_INTERVAL says so (once: the unique generation lets one instance win). */
  private async tick(): Promise<void> {
    try {
      await this.reload();
      const interval = this.config.keys.rotationIntervalSeconds;
      const newest = this.keys.at(-1);
      // The generation after the one found due: instances that find it due at once try the same one, and one adds it.
      if (interval && newest && newest.signsFrom.getTime() + interval * 1000 <= Date.now()) await this.addKey(newest.generation + 1, false, 'schedule');
    } catch (error) {
      if (!isUniqueViolation(error)) this.logger.warn(`could not refresh the signing keys: ${(error as Error).message}`);
    }
  }

  /** The first start (or the algorithm changed, or the signing key was revoked): a key that signs at once. Concurrent starts agree on one. */
  private async ensureSigningKey(): Promise<void> {
    // The newest generation first, then the check: an instance that finds no key has read the generation before
    // anyone added one, so two such instances try the same next generation and one of them loses.
    const newest = await this.newestRow();
    const usable = await this.signingKeys.existsBy({ algorithm: this.config.jwt.algorithm, revokedAt: IsNull(), signsFrom: LessThanOrEqual(new Date()) });
    if (usable) return;
    try {
      await this.addKey((newest?.generation ?? 0) + 1, true, 'no-signing-key');
    } catch (error) {
      // Another instance added it at the same moment: theirs is the one.
      if (!isUniqueViolation(error)) throw error;
    }
  }

  private newestRow(): Promise<SigningKey | null> {
    return this.signingKeys.findOne({ where: {}, order: { generation: 'DESC' } });
  }

  private async liveRows(): Promise<LiveRows> {
    const rows = await this.signingKeys.find({ where: { revokedAt: IsNull() }, order: { generation: 'ASC' } });
    return { rows, retirement: this.retirementSeconds() };
  }

  /** How long a key verifies after the next one starts signing: the longest a token it signed can live, plus reload lag and clock slack. */
  private retirementSeconds(): number {
    return this.config.jwt.accessTokenTtlSeconds + RELOAD_INTERVAL_MS / 1000 + CLOCK_TOLERANCE_SECONDS;
  }

  private hasRetired(key: UsableKey): boolean {
    return key.retiresAt !== null && key.retiresAt.getTime() <= Date.now();
  }

  private async purgeRetired(): Promise<void> {
    const live = await this.liveRows();
    const retired = live.rows.filter((row) => isRetired(row, live)).map((row) => row.kid);
    if (retired.length) await this.signingKeys.delete(retired);
  }

  private async announce(): Promise<void> {
    await this.events.emitAsync(SIGNING_KEYS_CHANGED, new SigningKeysChangedEvent());
  }

  /** HS256: JWT_SECRET as a KeyObject (given a string, jsonwebtoken-style libraries try PEM parsing first), with a kid derived from it. */
  private sharedSecretKey(): UsableKey {
    const secret = this.config.jwt.secret!;
    const key = createSecretKey(Buffer.from(secret, 'utf8'));
    const kid = `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 16)}`;
    return { kid, generation: 0, algorithm: 'HS256', publicKey: key, privateKey: key, signsFrom: new Date(0), retiresAt: null };
  }
}

interface LiveRows {
  rows: SigningKey[];
  retirement: number;
}

/** A key retires `retirement` seconds after the next generation starts signing. */
function retirementOf(row: Pick<SigningKey, 'generation'>, live: LiveRows): Date | null {
  const next = live.rows.filter((other) => other.generation > row.generation).sort((a, b) => a.generation - b.generation)[0];
  return next ? new Date(next.signsFrom.getTime() + live.retirement * 1000) : null;
}

function isRetired(row: SigningKey, live: LiveRows): boolean {
  const retiresAt = retirementOf(row, live);
  return retiresAt !== null && retiresAt.getTime() <= Date.now();
}
