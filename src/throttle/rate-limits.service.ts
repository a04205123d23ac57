import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import type { RequestContext } from '../http/request-context.js';
import { TooManyRequestsException } from '../http/too-many-requests.exception.js';
import { RedisService } from '../redis/redis.service.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';

/** The limiters, as `throttle.blocked` events and gatehouse_throttle_blocks_total name them. */
export type LimiterName = 'username-address' | 'address' | 'account' | 'registration' | 'recovery-address' | 'recovery-account' | 'mail-account' | 'mail-address' | 'client-address' | 'client-registration' | 'device-code-address' | 'passkey-challenge-address';

/** A counter to take a point from: the limiter, the key, and the limiter's name for the record. */
export type Count = [RateLimiterAbstract, string, LimiterName];

const MAX_RECORDED_BLOCKS = 100_000;

/**
 * The counters every throttle of the service is built from
 * (rate-limiter-flexible), over THROTTLE_WINDOW: in Redis when REDIS_URL is
 * set (atomic increments, so requests sent to several instances count
 * together), in this process otherwise. Counting is done before the work it
 * guards, and a refusal is a 429 with Retry-After, recorded once per blocked
 * key.
 */
@Injectable()
export class RateLimitsService {
  /**
   * Blocks already recorded, until they end: a flood of refused requests is
   * one throttle.blocked event (and log line, and audit row) per blocked key,
   * not one per request, so a storm cannot turn into a storm of writes.
   */
  private readonly recordedBlocks = new LRUCache<string, true>({ max: MAX_RECORDED_BLOCKS });
  private readonly windowSeconds: number;

  constructor(
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
    private readonly redis: RedisService,
    private readonly events: EventEmitter2,
  ) {
    this.windowSeconds = config.throttle.windowSeconds;
  }

  /**
   * `points` per window and key. With Redis the counters are shared by every
   * instance; while Redis is unreachable each instance goes on counting in
   * memory (the insurance limiter) rather than failing the request.
   */
  limiter(keyPrefix: string, points: number): RateLimiterAbstract {
    const options = { keyPrefix, points, duration: this.windowSeconds, blockDuration: this.windowSeconds };
    if (!this.redis.commands) return new RateLimiterMemory(options);
    return new RateLimiterRedis({
      ...options,
      keyPrefix: `${this.redis.keyPrefix}${keyPrefix}`,
      storeClient: this.redis.commands,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  }

  /**
   * Counts on each in turn; on a refusal gives back what was counted and
   * throws a 429 with the wait, recorded as a security event (so in the log at
   * warn, and in metrics by limiter).
   */
  async countAll(counts: Count[], refusal: string, request: RequestContext | null, username?: string): Promise<Count[]> {
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

  async giveBack(counted: Count[]): Promise<void> {
    await Promise.all(counted.map(([limiter, key]) => limiter.reward(key, 1)));
  }
}

function tooMany(what: string, milliseconds: number): TooManyRequestsException {
  const seconds = Math.max(1, Math.ceil(milliseconds / 1000));
  return new TooManyRequestsException(`${what}; try again in ${seconds} seconds.`, seconds);
}
