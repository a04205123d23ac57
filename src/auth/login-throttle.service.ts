import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { appConfiguration, type AppConfig } from '../config/configuration.js';
import { TooManyRequestsException } from '../filters/too-many-requests.exception.js';
import { RedisService } from '../redis/redis.service.js';

/**
 * Brute-force defence (rate-limiter-flexible). Only failures count:
 * - per username and client address: a few consecutive failures block that
 *   pair for the window; a success resets it;
 * - per client address: many failures, whatever the usernames, block the address.
 * There is deliberately no block per username alone: a flood of failures from
 * elsewhere must not lock the real owner out of the account.
 * Registrations are limited per address. With REDIS_URL the counters live in
 * Redis, so failures sent to several instances count together.
 *
 * @nestjs/throttler counts requests, not outcomes, and its storage can neither
 * read a counter without adding to it nor reset one, which "only failures
 * count, a success resets" needs.
 */
@Injectable()
export class LoginThrottleService {
  private readonly failuresByUsernameAndAddress: RateLimiterAbstract;
  private readonly failuresByAddress: RateLimiterAbstract;
  private readonly registrationsByAddress: RateLimiterAbstract;

  constructor(@Inject(appConfiguration.KEY) config: AppConfig, redis: RedisService) {
    const { failuresPerUsernameAndAddress, failuresPerAddress, registrationsPerAddress, windowSeconds } = config.throttle;
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
    this.failuresByUsernameAndAddress = limiter('login_fail_username_address', failuresPerUsernameAndAddress);
    this.failuresByAddress = limiter('login_fail_address', failuresPerAddress);
    this.registrationsByAddress = limiter('register_address', registrationsPerAddress);
  }

  /** Before any password work: 429 when this username or address has failed too often. */
  async assertLoginAllowed(username: string, address: string): Promise<void> {
    const counters = await Promise.all([
      this.failuresByUsernameAndAddress.get(pairKey(username, address)),
      this.failuresByAddress.get(address),
    ]);
    const limits = [this.failuresByUsernameAndAddress.points, this.failuresByAddress.points];
    const waits = counters.map((counter, index) => (counter && counter.consumedPoints >= limits[index] ? counter.msBeforeNext : 0));
    const wait = Math.max(...waits);
    if (wait > 0) throw tooMany('Too many failed logins', wait);
  }

  async recordFailure(username: string, address: string): Promise<void> {
    // consume() rejects once a counter is past its limit; the block is what matters, not the rejection.
    await Promise.allSettled([this.failuresByUsernameAndAddress.consume(pairKey(username, address)), this.failuresByAddress.consume(address)]);
  }

  async recordSuccess(username: string, address: string): Promise<void> {
    await this.failuresByUsernameAndAddress.delete(pairKey(username, address));
  }

  async consumeRegistration(address: string): Promise<void> {
    try {
      await this.registrationsByAddress.consume(address);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw tooMany('Too many registrations from this address', error.msBeforeNext);
      throw error;
    }
  }
}

function pairKey(username: string, address: string): string {
  return `${username.toLowerCase()}|${address}`;
}

function tooMany(what: string, milliseconds: number): TooManyRequestsException {
  const seconds = Math.max(1, Math.ceil(milliseconds / 1000));
  return new TooManyRequestsException(`${what}; try again in ${seconds} seconds.`, seconds);
}
