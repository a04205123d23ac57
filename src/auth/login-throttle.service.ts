import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { TooManyRequestsException } from '../http/too-many-requests.exception.js';
import { RedisService } from '../redis/redis.service.js';
import { usernameKey } from '../account-rules/account-rules.js';
import type { RequestContext } from '../http/request-context.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';

/** The limiters, as `throttle.blocked` events and gatehouse_throttle_blocks_total name them. */
type LimiterName = 'username-address' | 'address' | 'account' | 'registration' | 'recovery-address' | 'recovery-account' | 'mail';

/** How long an address from which an account logged in keeps its own allowance during an account-wide block. */
const KNOWN_ADDRESS_MS = 30 * 24 * 60 * 60 * 1000;
const MAX_KNOWN_ADDRESSES_IN_MEMORY = 100_000;

/**
 * One counted attempt. Settle it once the credential was checked:
 * `succeeded` gives back what it cost (a right credential is no guess), while
 * a failure keeps it; `notChecked` gives it back when nothing was checked
 * after all (the hashing pool refused it).
 */
export interface LoginAttempt {
  succeeded(): Promise<void>;
  notChecked(): Promise<void>;
}

/**
 * A counted login attempt, which can also complete a login. `succeeded` alone
 * changes no throttle state: a right password of an account that still owes
 * its second factor must not forgive the wrong codes sent before or after it.
 * Only `loggedIn` (every factor presented) resets the username+address
 * failures and makes the address one the account logged in from.
 */
export interface CountedLogin extends LoginAttempt {
  loggedIn(): Promise<void>;
}

/**
 * Brute-force defence (rate-limiter-flexible). Every attempt is counted
 * *before* its password is checked, so however guesses arrive (in sequence,
 * all at once, spread over instances) no more than the limit are ever
 * checked in a window:
 * - per username and client address: a few failures block that pair for the
 *   window; a completed login (the password, and the code when two-factor
 *   is on) resets it;
 * - per client address: many failures, whatever the usernames, block the address;
 * - per account, from all addresses together (NIST SP 800-63B §5.2.2), except
 *   from addresses the account completed a login from in the last 30 days: those keep
 *   their own per-pair allowance, so a botnet cannot lock the owner out.
 * Registrations are limited per address; so are the e-mail routes (password
 * reset requests and resets, verification codes), which are also counted per
 * account, and the mail an account or an address is sent. With REDIS_URL the
 * counters live in Redis (atomic increments), so attempts sent to several
 * instances count together.
 *
 * @nestjs/throttler counts requests, not outcomes, and its storage can neither
 * give a point back nor reset a counter, which "a success costs nothing" needs.
 */
@Injectable()
export class LoginThrottleService {
  private readonly attemptsByUsernameAndAddress: RateLimiterAbstract;
  private readonly attemptsByAddress: RateLimiterAbstract;
  private readonly attemptsByAccount: RateLimiterAbstract;
  private readonly registrationsByAddress: RateLimiterAbstract;
  private readonly recoveryByAddress: RateLimiterAbstract;
  private readonly recoveryByAccount: RateLimiterAbstract;
  private readonly mailsByRecipient: RateLimiterAbstract;
  /** Accounts' recent login addresses, while Redis is away or absent. */
  private readonly knownAddressesInMemory = new LRUCache<string, true>({ max: MAX_KNOWN_ADDRESSES_IN_MEMORY, ttl: KNOWN_ADDRESS_MS });
  /**
   * Blocks already recorded, until they end: a flood of refused requests is
   * one throttle.blocked event (and log line, and audit row) per blocked key,
   * not one per request, so a storm cannot turn into a storm of writes.
   */
  private readonly recordedBlocks = new LRUCache<string, true>({ max: MAX_KNOWN_ADDRESSES_IN_MEMORY });

  constructor(
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
    private readonly redis: RedisService,
    private readonly events: EventEmitter2,
  ) {
    const { failuresPerUsernameAndAddress, failuresPerAddress, failuresPerAccount, registrationsPerAddress, recoveryPerAddress, recoveryPerAccount, mailsPerAccount, windowSeconds } =
      config.throttle;
    // With Redis the counters are shared by every instance; while Redis is unreachable each
    // instance goes on counting in memory (the insurance limiter) rather than failing logins.
    const limiter = (keyPrefix: string, points: number) => {
      const options = { keyPrefix, points, duration: windowSeconds, blockDuration: windowSeconds };
      if (!redis.commands) return new RateLimiterMemory(options);
      return new RateLimiterRedis({
        ...options,
        keyPrefix: `${redis.keyPrefix}${keyPrefix}`,
        storeClient: redis.commands,
        insuranceLimiter: new RateLimiterMemory(options),
      });
    };
    this.attemptsByUsernameAndAddress = limiter('login_fail_username_address', failuresPerUsernameAndAddress);
    this.attemptsByAddress = limiter('login_fail_address', failuresPerAddress);
    this.attemptsByAccount = limiter('login_fail_account', failuresPerAccount);
    this.registrationsByAddress = limiter('register_address', registrationsPerAddress);
    this.recoveryByAddress = limiter('recovery_address', recoveryPerAddress);
    this.recoveryByAccount = limiter('recovery_account', recoveryPerAccount);
    this.mailsByRecipient = limiter('mail_recipient', mailsPerAccount);
  }

  /**
   * Counts a login attempt before any password or code is checked: 429 when
   * this username from this address, this address, or this account has no
   * attempt left. A refused attempt costs nothing. Passwords and second-factor
   * codes (TOTP and recovery codes, at login and wherever else one is asked
   * for) are counted here alike, on the same counters.
   */
  async consumeLoginAttempt(username: string, request: RequestContext): Promise<CountedLogin> {
    const address = request.clientAddress;
    const pair = pairKey(username, address);
    const counts: Count[] = [
      [this.attemptsByUsernameAndAddress, pair, 'username-address'],
      [this.attemptsByAddress, address, 'address'],
    ];
    if (!(await this.isKnownAddress(pair))) counts.push([this.attemptsByAccount, usernameKey(username), 'account']);
    const counted = await this.countAll(counts, 'Too many failed logins', request, username);
    return {
      loggedIn: async () => {
        const [, ...others] = counted;
        await Promise.all([this.attemptsByUsernameAndAddress.delete(pair), this.giveBack(others), this.rememberAddress(pair)]);
      },
      succeeded: () => this.giveBack(counted),
      notChecked: () => this.giveBack(counted),
    };
  }

  /**
   * A password-reset request, counted per username or address given (whether
   * or not an account has it, so a 429 tells nothing) and per client address.
   * Never given back: each one may send a mail.
   */
  async consumeResetRequest(identifier: string, request: RequestContext): Promise<void> {
    await this.countAll(
      [
        [this.recoveryByAccount, `request:${identifier.toLowerCase()}`, 'recovery-account'],
        [this.recoveryByAddress, request.clientAddress, 'recovery-address'],
      ],
      'Too many password-reset requests',
      request,
    );
  }

  /**
   * A try of a mailed token (reset, verification) from this client address,
   * and of a verification code for this e-mail address: counted before it is
   * checked, given back when it was right, as for logins.
   */
  async consumeTokenAttempt(request: RequestContext, codeForEmailKey?: string): Promise<LoginAttempt> {
    const counts: Count[] = [[this.recoveryByAddress, request.clientAddress, 'recovery-address']];
    if (codeForEmailKey !== undefined) counts.push([this.recoveryByAccount, `code:${codeForEmailKey}`, 'recovery-account']);
    const counted = await this.countAll(counts, 'Too many wrong tokens or codes', request);
    return { succeeded: () => this.giveBack(counted), notChecked: () => this.giveBack(counted) };
  }

  /** One more mail to this account and this address (verification or reset), or 429: a mailbox cannot be flooded through Gatehouse. */
  async consumeMail(userId: number, emailKey: string, request: RequestContext | null): Promise<void> {
    await this.countAll(
      [
        [this.mailsByRecipient, `user:${userId}`, 'mail'],
        [this.mailsByRecipient, `email:${emailKey}`, 'mail'],
      ],
      'Too many mails to this account or address',
      request,
    );
  }

  async consumeRegistration(request: RequestContext): Promise<void> {
    await this.countAll([[this.registrationsByAddress, request.clientAddress, 'registration']], 'Too many registrations from this address', request);
  }

  /**
   * Counts on each in turn; on a refusal gives back what was counted and
   * answers 429 with the wait, recorded as a security event (so in the log at
   * warn, and in metrics by limiter).
   */
  private async countAll(counts: Count[], refusal: string, request: RequestContext | null, username?: string): Promise<Count[]> {
    const counted: Count[] = [];
    for (const count of counts) {
      const [limiter, key, name] = count;
      try {
        await limiter.consume(key);
        counted.push(count);
      } catch (error) {
        await this.giveBack(counted);
        if (!(error instanceof RateLimiterRes)) throw error;
        const exception = tooMany(refusal, error.msBeforeNext);
        const block = `${name}|${key}`;
        if (!this.recordedBlocks.has(block)) {
          this.recordedBlocks.set(block, true, { ttl: Math.max(1, error.msBeforeNext) });
          const details = { limiter: name, retryAfterSeconds: exception.retryAfterSeconds, ...(username === undefined ? {} : { username }) };
          raiseSecurityEvent(this.events, { type: 'throttle.blocked', outcome: 'failure', request, details });
        }
        throw exception;
      }
    }
    return counted;
  }

  private async giveBack(counted: Count[]): Promise<void> {
    await Promise.all(counted.map(([limiter, key]) => limiter.reward(key, 1)));
  }

  private async rememberAddress(pair: string): Promise<void> {
    this.knownAddressesInMemory.set(pair, true);
    await this.redis.commands?.set(this.knownAddressKey(pair), '1', 'PX', KNOWN_ADDRESS_MS).catch(() => undefined);
  }

  private async isKnownAddress(pair: string): Promise<boolean> {
    if (this.redis.commands) {
      try {
        return (await this.redis.commands.exists(this.knownAddressKey(pair))) === 1;
      } catch {
        // Redis is away: what this instance saw itself
      }
    }
    return this.knownAddressesInMemory.has(pair);
  }

  private knownAddressKey(pair: string): string {
    return `${this.redis.keyPrefix}login_known_address:${pair}`;
  }
}

/** A limiter and the key counted on it. */
/** A counter to take a point from: the limiter, the key, and the limiter's name for the record. */
type Count = [RateLimiterAbstract, string, LimiterName];

function pairKey(username: string, address: string): string {
  return `${usernameKey(username)}|${address}`;
}

function tooMany(what: string, milliseconds: number): TooManyRequestsException {
  const seconds = Math.max(1, Math.ceil(milliseconds / 1000));
  return new TooManyRequestsException(`${what}; try again in ${seconds} seconds.`, seconds);
}
