import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';

/**
 * The connections to Redis, when REDIS_URL is set: one for commands, one for
 * subscriptions (a subscribed connection can do nothing else). Without
 * REDIS_URL both are null and every feature falls back to this instance alone.
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
  private readonly logger = new Logger(RedisService.name);
  readonly commands: Redis | null;
  readonly subscriber: Redis | null;
  readonly keyPrefix: string;

  constructor(@Inject(APP_CONFIGURATION) config: AppConfiguration) {
    this.keyPrefix = config.redisKeyPrefix;
    const connect = (role: string, enableOfflineQueue: boolean) => {
      const client = new Redis(config.redisUrl!, { enableOfflineQueue, maxRetriesPerRequest: 1 });
      client.on('error', (error) => this.logger.warn(`Redis (${role}): ${error.message}`));
      return client;
    };
    // Commands without an offline queue: while Redis is away they fail at once and the callers
    // fall back, rather than wait. The subscriber queues its SUBSCRIBE until Redis is there,
    // and subscribes again after every reconnection.
    this.commands = config.redisUrl ? connect('commands', false) : null;
    this.subscriber = config.redisUrl ? connect('subscriber', true) : null;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.commands?.quit(), this.subscriber?.quit()].map((closing) => closing?.catch(() => undefined)));
  }
}
