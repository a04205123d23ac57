import { createHash, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2, EventEmitterReadinessWatcher, OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { IsNull, Repository } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration, type JwtAlgorithm } from '../config/configuration.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { SIGNING_KEYS_CHANGED, SigningKeysChangedEvent } from './events/token-events.js';
import { KeyEncryption } from './key-encryption.js';
import { raiseSecurityEvent, type Actor } from '../security-events/security-event.js';

/** Why a key was added, as its `key.rotated` event says. */
type RotationTrigger = 'request' | 'schedule' | 'no-signing-key';

/** An unknown `kid` makes an instance read the keys again, at most this often. */
const UNKNOWN_KID_RELOAD_MS = 1_000;
/** Slack for clocks a few seconds apart. */
export const CLOCK_TOLERANCE_SECONDS = 5;
/** A new key's generation can be taken by another instance at the same moment; after this many tries the error stands. */
const MAX_ADD_ATTEMPTS = 3;

export interface UsableKey {
  kid: string;
  generation: number;
  algorithm: JwtAlgorithm;
  publicKey: KeyObject;
  privateKey: KeyObject;
  signsFrom: Date;
  /** When a later key started (or starts) signing in its place, for good: from then on it never signs again. Null while none has. */
  supersededAt: Date | null;
  /** When it leaves the key set: every token it signed has expired by then. Null while no later key has signed. */
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

/** The algorithm of the key store: JWT_ALGORITHM when asymmetric; RS256 beside HS256 (id tokens must be verifiable by clients, OIDC Core §10.1). */
export type StoreAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

/**
 * The keys that sign and verify tokens. Asymmetric keys live in the
 * database (signing_keys), shared by every instance: the first start creates
 * one; a rotation publishes the next one KEY_PUBLISH_AHEAD before it signs;
 * the old one verifies until its last token has expired; a revoked key ends
 * its tokens at once, and the key that signs after it is a new one: a key
 * that a later one replaced never signs again, whatever happens to the later
 * one. The store always runs, with JWT_ALGORITHM, or RS256 when that is
 * HS256: id tokens and logout tokens are signed by it in every mode
 * (asymmetricSigningKey). With HS256, access tokens are signed with
 * JWT_SECRET (signingKey), which is never published.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  private keys: UsableKey[] = [];
  /** The same keys by kid: the Bearer path asks it on every cache hit. Replaced with `keys`, never changed in place. */
  private byKid = new Map<string, UsableKey>();
  /** Counts the key sets loaded: a verification that began under an older set must not fill a cache (see AccessTokensService). */
  private loadedSets = 0;
  /** The key set document made from the set `version`, good until a published key retires (publishedKeySet). */
  private published: { version: number; until: number; json: string } | null = null;
  /** The highest generation in the database at the last reload, revoked keys included: the next rotation takes the one after. */
  private newestGeneration = 0;
  /** Reloads started, and the latest one whose read was applied: a reload that read the table before another must not overwrite it. */
  private reloadsStarted = 0;
  private reloadApplied = 0;
  private lastReload = 0;
  private timer?: NodeJS.Timeout;
  /** JWT_SECRET with HS256 (it verifies beside the stored keys, and is never published); null otherwise. */
  private readonly sharedSecret: UsableKey | null;

  constructor(
    @InjectRepository(SigningKey) private readonly signingKeys: Repository<SigningKey>,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly events: EventEmitter2,
    private readonly eventsReady: EventEmitterReadinessWatcher,
    private readonly keyEncryption: KeyEncryption = new KeyEncryption(config),
  ) {
    this.sharedSecret = this.sharedSecretKey();
  }

  /** Whether access tokens are signed with the shared secret JWT_SECRET (JWT_ALGORITHM=HS256). */
  get symmetric(): boolean {
    return this.config.jwt.algorithm === 'HS256';
  }

  /** The algorithm of the stored keys, which sign id tokens and logout tokens in every mode, and access tokens unless HS256. */
  get storeAlgorithm(): StoreAlgorithm {
    return this.config.jwt.algorithm === 'HS256' ? 'RS256' : this.config.jwt.algorithm;
  }

  async onModuleInit(): Promise<void> {
    await this.ensureSigningKey();
    await this.reload();
    this.timer = setInterval(() => void this.tick(), this.config.keys.reloadIntervalSeconds * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The key that signs access tokens: JWT_SECRET with HS256, else the store's current key (asymmetricSigningKey). */
  async signingKey(): Promise<UsableKey> {
    return this.sharedSecret ?? this.asymmetricSigningKey();
  }

  /**
   * The store's key that signs now, whatever JWT_ALGORITHM says: what signs
   * id tokens and logout tokens, which clients verify from jwks_uri. The
   * newest key whose time has come and that no later key has replaced. When
   * this instance has none (it read the set between a revocation elsewhere
   * and the successor's arrival), it makes sure one exists, as the revoking
   * instance does, and reads the set again.
   */
  async asymmetricSigningKey(): Promise<UsableKey> {
    const loaded = this.loadedSigningKey();
    if (loaded) return loaded;
    await this.ensureSigningKey();
    await this.reload();
    const signing = this.loadedSigningKey();
    if (!signing) throw new Error('no signing key is loaded');
    return signing;
  }

  private loadedSigningKey(): UsableKey | undefined {
    const now = Date.now();
    return this.keys.filter((key) => key.algorithm === this.storeAlgorithm && signsAt(key, now)).at(-1);
  }

  /** The key a token names, while it is in the key set; an unknown kid reads the set again first (a rotation elsewhere). */
  async verificationKey(kid: string): Promise<UsableKey | null> {
    const known = this.verifyingKey(kid);
    if (known || Date.now() - this.lastReload < UNKNOWN_KID_RELOAD_MS) return known ?? null;
    await this.reload();
    return this.verifyingKey(kid) ?? null;
  }

  /** Whether `kid` verifies in the key set loaded now (not revoked, not retired): asked of every token served from a cache. Synchronous and cheap. */
  verifies(kid: string): boolean {
    return this.verifyingKey(kid) !== undefined;
  }

  /** Which key set is loaded: it changes whenever a reload replaces the set. */
  get keySetVersion(): number {
    return this.loadedSets;
  }

  /** The database's word, for introspection: the key exists and is not revoked, even if this instance has not reloaded since. */
  async isLiveInDatabase(kid: string): Promise<boolean> {
    return kid === this.sharedSecret?.kid ? this.verifies(kid) : this.signingKeys.existsBy({ kid, revokedAt: IsNull() });
  }

  private verifyingKey(kid: string): UsableKey | undefined {
    const key = this.byKid.get(kid);
    return key && !this.hasRetired(key) ? key : undefined;
  }

  /**
   * RFC 7517: the key set document as sent, the public keys of the set loaded
   * now (JWT_SECRET never is). It is the set this instance verifies with, so
   * it changes when that does: at once for a rotation or revocation made
   * here, and on other instances when they hear of it or reload (the bounds
   * of docs/API.md, "Revoking a key"), well inside the 300 s verifiers cache
   * it. Serialized once per loaded set, and again when a published key
   * retires: it was read from the database and built on every request, at a
   * fifth of the rate of serving the same bytes (docs/PERFORMANCE.md).
   */
  publishedKeySet(): string {
    const now = Date.now();
    if (this.published?.version === this.loadedSets && now < this.published.until) return this.published.json;
    const keys = this.keys.filter((key) => key !== this.sharedSecret && !this.hasRetired(key));
    const until = Math.min(...keys.map((key) => key.retiresAt?.getTime() ?? Infinity));
    const json = JSON.stringify({ keys: keys.map((key) => ({ ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, alg: key.algorithm, use: 'sig' })) });
    this.published = { version: this.loadedSets, until, json };
    return json;
  }

  /** Every key row, newest first, for admins. */
  async describe(): Promise<KeyDescription[]> {
    const succession = await this.succession();
    return [...succession.rows].reverse().map((row) => {
      const { kid, algorithm, generation, createdAt, signsFrom, revokedAt } = row;
      return { kid, algorithm, generation, createdAt, signsFrom, retiresAt: revokedAt ? null : succession.retirementOf(row), revokedAt };
    });
  }

  /**
   * Adds the next key, asked for by `by` (an admin, or the command line):
   * published now, signing after KEY_PUBLISH_AHEAD. Keys that have left the
   * set are deleted on the way.
   */
  async rotate(by: Actor = {}): Promise<KeyDescription> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.addKey(((await this.newestRow())?.generation ?? 0) + 1, false, 'request', by);
      } catch (error) {
        // A revocation or another rotation took that generation at the same moment: the rotation asked for is the one after.
        if (!isUniqueViolation(error) || attempt === MAX_ADD_ATTEMPTS) throw error;
      }
    }
  }

  /** The key of `generation`: a concurrent addition of the same generation fails on its unique index, so only one lands. */
  private async addKey(generation: number, immediately: boolean, trigger: RotationTrigger, by: Actor = {}): Promise<KeyDescription> {
    const algorithm = this.storeAlgorithm;
    const { publicKey, privateKey } = KEY_PAIR_OPTIONS[algorithm]();
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(jwk);
    const encryptedPrivateKey = this.keyEncryption.encrypt(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 'signing-key-encryption');
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

  /**
   * A change made here or heard from another instance, or the periodic read.
   * The new set replaces the old one in one step, and only if no reload that
   * started later has been applied already: a slow read from before a
   * revocation never brings the revoked key back.
   */
  @OnEvent(SIGNING_KEYS_CHANGED)
  async reload(): Promise<void> {
    const reload = ++this.reloadsStarted;
    this.lastReload = Date.now();
    const succession = await this.succession();
    if (reload < this.reloadApplied) return;
    this.reloadApplied = reload;
    this.newestGeneration = succession.rows.at(-1)?.generation ?? 0;
    const stored = succession.live().map((row) => this.usableKey(row, succession));
    this.useKeys(this.sharedSecret ? [this.sharedSecret, ...stored] : stored);
  }

  /** A row as a key this instance uses; the key material of a kid never changes, so keys already loaded are not parsed again. */
  private usableKey(row: SigningKey, succession: Succession): UsableKey {
    const loaded = this.byKid.get(row.kid);
    const supersededAt = succession.supersededAt(row);
    return {
      kid: row.kid,
      generation: row.generation,
      algorithm: row.algorithm as JwtAlgorithm,
      publicKey: loaded?.publicKey ?? createPublicKey({ key: JSON.parse(row.publicJwk) as JWK, format: 'jwk' } as Parameters<typeof createPublicKey>[0]),
      privateKey: loaded?.privateKey ?? createPrivateKey(this.keyEncryption.decryptPrivateKey(row.encryptedPrivateKey)),
      signsFrom: row.signsFrom,
      supersededAt,
      retiresAt: succession.retirementOf(row),
    };
  }

  private useKeys(keys: UsableKey[]): void {
    this.keys = keys;
    this.byKid = new Map(keys.map((key) => [key.kid, key]));
    this.loadedSets++;
  }

  /** Read again, and rotate when KEY_ROTATION_INTERVAL says so (once: the unique generation lets one instance win). */
  private async tick(): Promise<void> {
    try {
      await this.reload();
      const interval = this.config.keys.rotationIntervalSeconds;
      const newest = this.keys.filter((key) => key !== this.sharedSecret).at(-1);
      // The generation after the newest in the table (revoked ones too): instances that find the rotation due at once try the same one, and one adds it.
      if (interval && newest && newest.signsFrom.getTime() + interval * 1000 <= Date.now()) await this.addKey(this.newestGeneration + 1, false, 'schedule');
    } catch (error) {
      if (!isUniqueViolation(error)) this.logger.warn(`could not refresh the signing keys: ${(error as Error).message}`);
    }
  }

  /**
   * The first start (or the algorithm changed, or the signing key was
   * revoked): unless a key signs now, one that signs at once. Concurrent starts
   * agree on one. A key that a later one replaced does not count, even when
   * the later one is revoked: a retired key never signs again.
   */
  private async ensureSigningKey(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      // One read for both the check and the next generation: two instances that find no signing key try the same generation, and one loses.
      const succession = await this.succession();
      const now = Date.now();
      if (succession.live().some((row) => row.algorithm === this.storeAlgorithm && signsAt({ signsFrom: row.signsFrom, supersededAt: succession.supersededAt(row) }, now))) return;
      try {
        await this.addKey((succession.rows.at(-1)?.generation ?? 0) + 1, true, 'no-signing-key');
        return;
      } catch (error) {
        // Another instance took that generation at the same moment (a start, a revocation, a rotation): look again, theirs may be the one.
        if (!isUniqueViolation(error) || attempt === MAX_ADD_ATTEMPTS) throw error;
      }
    }
  }

  private newestRow(): Promise<SigningKey | null> {
    return this.signingKeys.findOne({ where: {}, order: { generation: 'DESC' } });
  }

  /** Every row, revoked ones too: a revoked key that once signed still replaced the keys before it. */
  private async succession(): Promise<Succession> {
    return new Succession(await this.signingKeys.find({ order: { generation: 'ASC' } }), this.retirementSeconds());
  }

  /** How long a key verifies after the next one starts signing: the longest a token it signed can live, plus reload lag and clock slack. */
  private retirementSeconds(): number {
    return this.config.jwt.accessTokenTtlSeconds + this.config.keys.reloadIntervalSeconds + CLOCK_TOLERANCE_SECONDS;
  }

  private hasRetired(key: UsableKey): boolean {
    return key.retiresAt !== null && key.retiresAt.getTime() <= Date.now();
  }

  private async purgeRetired(): Promise<void> {
    const succession = await this.succession();
    const retired = succession
      .live()
      .filter((row) => succession.isRetired(row))
      .map((row) => row.kid);
    if (retired.length) await this.signingKeys.delete(retired);
  }

  private async announce(): Promise<void> {
    await this.events.emitAsync(SIGNING_KEYS_CHANGED, new SigningKeysChangedEvent());
  }

  /** HS256: JWT_SECRET as a KeyObject (given a string, jsonwebtoken-style libraries try PEM parsing first), with a kid derived from it; null otherwise. */
  private sharedSecretKey(): UsableKey | null {
    const secret = this.config.jwt.secret;
    if (this.config.jwt.algorithm !== 'HS256' || !secret) return null;
    const key = createSecretKey(Buffer.from(secret, 'utf8'));
    const kid = `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 16)}`;
    return { kid, generation: 0, algorithm: 'HS256', publicKey: key, privateKey: key, signsFrom: new Date(0), supersededAt: null, retiresAt: null };
  }
}

/** Whether a key signs at `now`: its time has come, and no later key has replaced it. */
function signsAt(key: Pick<UsableKey, 'signsFrom' | 'supersededAt'>, now: number): boolean {
  return key.signsFrom.getTime() <= now && (key.supersededAt === null || key.supersededAt.getTime() > now);
}

/**
 * Every key row in generation order, revoked ones included, and what follows
 * from them: a key is replaced when a later generation starts signing, and
 * retires `retirement` seconds later. A later key revoked after its time came
 * still replaced it (its revocation does not undo the retirement); one revoked
 * before it ever signed replaced nothing.
 */
class Succession {
  constructor(
    readonly rows: SigningKey[],
    private readonly retirement: number,
  ) {}

  live(): SigningKey[] {
    return this.rows.filter((row) => !row.revokedAt);
  }

  supersededAt(row: SigningKey): Date | null {
    let earliest: Date | null = null;
    for (const later of this.rows) {
      if (later.generation <= row.generation || (later.revokedAt && later.revokedAt.getTime() < later.signsFrom.getTime())) continue;
      if (!earliest || later.signsFrom.getTime() < earliest.getTime()) earliest = later.signsFrom;
    }
    return earliest;
  }

  retirementOf(row: SigningKey): Date | null {
    const supersededAt = this.supersededAt(row);
    return supersededAt && new Date(supersededAt.getTime() + this.retirement * 1000);
  }

  isRetired(row: SigningKey): boolean {
    const retiresAt = this.retirementOf(row);
    return retiresAt !== null && retiresAt.getTime() <= Date.now();
  }
}
