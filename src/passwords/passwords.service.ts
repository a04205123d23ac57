import { availableParallelism } from 'node:os';
import { Inject, Injectable, ServiceUnavailableException, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import { Piscina } from 'piscina';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { TooManyRequestsException } from '../http/too-many-requests.exception.js';
import { normalisedPassword, PASSWORD_MAX_BYTES, passwordByteLength, passwordFormsToTry } from '../account-rules/account-rules.js';
import { UsersService } from '../users/users.service.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** `compare`: the forms of one password, tried in order in one task (one admission), until one matches. */
type HashingTask = { operation: 'hash'; password: string; rounds: number } | { operation: 'compare'; passwords: string[]; hash: string };
/** What the worker answers: the hash, or the index of the form that matched (-1: none), and how long bcrypt ran. */
interface HashingResult {
  value: string | number;
  runMilliseconds: number;
}

/** A password that matched its stored hash. */
export interface PasswordMatch {
  /**
   * The stored hash should be replaced by a hash of the normalised password
   * at BCRYPT_ROUNDS: it was made from the password as typed, before
   * passwords were normalised, or at another cost.
   */
  rehash: boolean;
}

/**
 * bcrypt with the rules of API.md, in a pool of worker threads sized to the
 * cores: a login storm uses every core and never stalls the event loop, so
 * other routes keep answering.
 *
 * Hashing is the scarce resource, so admission is bounded: one client address
 * may have only a few hashes queued or running (429 beyond), and the queue in
 * front of the threads has a limit (503 beyond). A storm from one address then
 * costs everyone else a hash time or two, not the length of its queue.
 */
@Injectable()
export class PasswordsService implements OnModuleInit, OnModuleDestroy {
  /** A hash of a random password at the cost most stored hashes have, compared against when the user does not exist. */
  private dummyHash: string;
  private readonly threads = availableParallelism();
  private readonly pool = new Piscina<HashingTask, HashingResult>({
    filename: new URL('./password-hashing.worker.mjs', import.meta.url).href,
    maxThreads: this.threads,
    // Threads start on demand and leave when idle, so an idle service holds none.
    minThreads: 0,
    idleTimeout: 30_000,
  });
  /** Hashes queued or running, in all and per client address. */
  private inFlight = 0;
  private readonly inFlightByAddress = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly usersService: UsersService,
    private readonly metrics: MetricsService,
  ) {
    metrics.watchHashingPool(() => ({ waiting: this.pool.queueSize, running: this.inFlight - this.pool.queueSize, queueLimit: config.hashing.queueLimit }));
  }

  /**
   * The dummy hash costs what checking a real account costs: after a change of
   * BCRYPT_ROUNDS most accounts keep their old cost until they log in again,
   * and an unknown name must not answer faster than they do.
   */
  async onModuleInit(): Promise<void> {
    const rounds = (await this.usersService.mostCommonPasswordCost()) ?? this.config.bcryptRounds;
    this.dummyHash = (await this.run({ operation: 'hash', password: crypto.randomUUID(), rounds })) as string;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.destroy();
  }

  /**
   * Hashes the normalised password (NFKC, NIST SP 800-63B §5.1.1.2), whoever
   * sets it: registration, change, reset, the CLI, the bootstrap admin.
   * `clientAddress`, when a client asked for it, counts against that
   * address's share of the pool.
   */
  async hashPassword(password: string, clientAddress?: string): Promise<string> {
    const normalised = normalisedPassword(password);
    // The callers check the form first; bcrypt would silently hash only the first 72 bytes.
    if (passwordByteLength(normalised) > PASSWORD_MAX_BYTES) throw new Error(`a password to hash is over ${PASSWORD_MAX_BYTES} bytes once normalised`);
    return (await this.run({ operation: 'hash', password: normalised, rounds: this.config.bcryptRounds }, clientAddress)) as string;
  }

  /**
   * Checks a password against a stored hash: its normalised form, then, when
   * that differs and fails, the form as typed, which hashes stored before
   * normalisation were made from (passwordFormsToTry). Both forms go to the
   * pool as one task, so they take one admission: a second comparison refused
   * with 429 cannot make a checked guess look unchecked. With no user, the
   * same forms are compared against the dummy hash, so the cost depends on
   * what was typed, never on whether the account exists. A password no stored
   * password can be (over 72 bytes, say) never matches, since bcrypt would
   * otherwise compare only its first 72 bytes.
   */
  async verifyPassword(password: string, passwordHash: string | undefined, clientAddress?: string): Promise<PasswordMatch | null> {
    const forms = passwordFormsToTry(password);
    if (forms.length === 0) return null;
    const matched = (await this.run({ operation: 'compare', passwords: forms, hash: passwordHash ?? this.dummyHash }, clientAddress)) as number;
    if (matched < 0 || passwordHash === undefined) return null;
    // The normalised form is forms[0] when it can be stored (8 to 72 bytes); only then can it replace the hash. A later form matched: a hash of the password as typed.
    const canStoreNormalised = forms[0] === normalisedPassword(password);
    return { rehash: canStoreNormalised && (matched > 0 || this.needsRehash(passwordHash)) };
  }

  /** A stored hash made at another cost than BCRYPT_ROUNDS: rehash it at the next successful login. */
  needsRehash(passwordHash: string): boolean {
    return bcrypt.getRounds(passwordHash) !== this.config.bcryptRounds;
  }

  private async run(task: HashingTask, clientAddress?: string): Promise<string | number> {
    const { concurrencyPerAddress, queueLimit } = this.config.hashing;
    const byAddress = clientAddress === undefined ? 0 : (this.inFlightByAddress.get(clientAddress) ?? 0);
    if (byAddress >= concurrencyPerAddress) {
      throw new TooManyRequestsException('Too many logins in progress from this address; try again in 1 second.', 1);
    }
    if (this.inFlight >= this.threads + queueLimit) {
      throw new ServiceUnavailableException('Too many password checks are waiting; try again shortly.');
    }
    this.inFlight++;
    if (clientAddress !== undefined) this.inFlightByAddress.set(clientAddress, byAddress + 1);
    try {
      const submitted = performance.now();
      const { value, runMilliseconds } = await this.pool.run(task);
      this.metrics.passwordHashWait.observe(Math.max(0, performance.now() - submitted - runMilliseconds) / 1000);
      return value;
    } finally {
      this.inFlight--;
      if (clientAddress !== undefined) this.release(clientAddress);
    }
  }

  private release(clientAddress: string): void {
    const remaining = this.inFlightByAddress.get(clientAddress)! - 1;
    if (remaining === 0) this.inFlightByAddress.delete(clientAddress);
    else this.inFlightByAddress.set(clientAddress, remaining);
  }
}
