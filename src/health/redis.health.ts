import { Injectable } from '@nestjs/common';
import { RedisService } from '../redis/redis.service.js';

/** What /health says of Redis: `up`, or `degraded` (the service works on from the database) with why and since when. */
export type RedisHealth = { status: 'up' } | { status: 'degraded'; message: string; downForSeconds?: number };

/** Redis answers PING within the timeout. */
@Injectable()
export class RedisHealthIndicator {
  constructor(private readonly redis: RedisService) {}

  get configured(): boolean {
    return this.redis.commands !== null;
  }

  async check(timeoutMs = 1000): Promise<RedisHealth> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.commands!.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { status: 'up' };
    } catch (error) {
      const downFor = this.redis.downForMs;
      return { status: 'degraded', message: (error as Error).message, ...(downFor === null ? {} : { downForSeconds: Math.round(downFor / 1000) }) };
    } finally {
      clearTimeout(timer);
    }
  }
}
