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
type LimiterName = 'username-address' | 'address' | 'account' | 'registration';

/** How long an address from which an account logged in keeps its own allowance during an account-wide block. */
const KNOWN_ADDRESS_MS = 30 * 24 * 60 * 60 * 1000;
const MAX_KNOWN_ADDRESSES_IN_MEMORY = 100_000;

/**
 * One counted login attempt. Settle it once the password was checked:
 * `succeeded` gives back what it cost (a success is no guess), while a failure
 * keeps it; `notChecked` gives it back when no password was checked after all
 * (the hashing pool refused it).
 */
export interface LoginAttempt {
  succeeded(): Promise<void>;
  notChecked(): Promise<void>;
}

/**
 * Brute-force defence (rate-limiter-flexible). Every attempt is counted
 * *before* its password is checked, so however guesses arrive (in sequence,
 * all at once, spread over instances) no more than the limit are ever
 * checked in a window:
 * - per username and client address: a few failures block that pair for the
 *   window; a success resets it;
 * - per client address: many failures, whatever the usernames, block the address;
 * - per account, from all addresses together (NIST SP 800-63B §5.2.2), except
 *   from addresses the account logged in from in the last 30 days: those keep
 *   their own per-pair allowance, so a botnet cannot lock the owner out.
 * Registrations are limited per address. With REDIS_URL the counters live in
 * Redis (atomic increments), so attempts sent to several instances count together.
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
  /** Accounts' recent login addresses, while Redis is away or absent. */
  private readonly knownAddressesInMemory = new LRUCache<string, true>({ max: MAX_KNOWN_ADDRESSES_IN_MEMORY, ttl: KNOWN_ADDRESS_MS });

  constructor(
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
    private readonly redis: RedisService,
    private readonly events: EventEmitter2,
  ) {
    const { failuresPerUsernameAndAddress, failuresPerAddress, failuresPerAccount, registrationsPerAddress, windowSeconds } = config.throttle;
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
  }

  /**
   * Counts a login attempt before any password work: 429 when this username
   * from this address, this address, or this account has no attempt left.
   * A refused attempt costs nothing.
   */
  async consumeLoginAttempt(username: string, request: RequestContext): Promise<LoginAttempt> {
    const address = request.clientAddress;
    const pair = pairKey(username, address);
    const account = usernameKey(username);
    const counted: [RateLimiterAbstract, string][] = [];
    const countOn = async (limiter: RateLimiterAbstract, key: string, name: LimiterName) => {
      try {
        await limiter.consume(key);
        counted.push([limiter, key]);
      } catch (error) {
        await this.giveBack(counted);
        if (error instanceof RateLimiterRes) throw this.blocked(name, request, 'Too many failed logins', error.msBeforeNext, username);
        throw error;
      }
    };
    await countOn(this.attemptsByUsernameAndAddress, pair, 'username-address');
    await countOn(this.attemptsByAddress, address, 'address');
    if (!(await this.isKnownAddress(pair))) await countOn(this.attemptsByAccount, account, 'account');

    return {
      succeeded: async () => {
        const [, ...others] = counted;
        await Promise.all([this.attemptsByUsernameAndAddress.delete(pair), this.giveBack(others), this.rememberAddress(pair)]);
      },
      notChecked: () => this.giveBack(counted),
    };
  }

  async consumeRegistration(request: RequestContext): Promise<void> {
    try {
      await this.registrationsByAddress.consume(request.clientAddress);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw this.blocked('registration', request, 'Too many registrations from this address', error.msBeforeNext);
      throw error;
    }
  }

  /** A 429 to throw, recorded as a security event (and so in the log at warn, and in metrics by limiter). */
  private blocked(limiter: LimiterName, request: RequestContext, what: string, milliseconds: number, username?: string): TooManyRequestsException {
    const exception = tooMany(what, milliseconds);
    const details = { limiter, retryAfterSeconds: exception.retryAfterSeconds, ...(username === undefined ? {} : { username }) };
    raiseSecurityEvent(this.events, { type: 'throttle.blocked', outcome: 'failure', request, details });
    return exception;
  }

  private async giveBack(counted: [RateLimiterAbstract, string][]): Promise<void> {
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

function pairKey(username: string, address: string): string {
  return `${usernameKey(username)}|${address}`;
}

function tooMany(what: string, milliseconds: number): TooManyRequestsException {
  const seconds = Math.max(1, Math.ceil(milliseconds / 1000));
  return new TooManyRequestsException(`${what}; try again in ${seconds} seconds.`, seconds);
}
