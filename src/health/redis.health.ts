import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisService } from '../redis/redis.service.js';

/** Redis answers PING within the timeout. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly redis: RedisService,
    private readonly health: HealthIndicatorService,
  ) {}

  get configured(): boolean {
    return this.redis.commands !== null;
  }

  async pingCheck(key: string, timeoutMs = 1000) {
    const indicator = this.health.check(key);
    try {
      await Promise.race([
        this.redis.commands!.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
      ]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
