import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { MetricsService } from '../metrics/metrics.service.js';

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
  /** Whether the command connection is up now (ioredis 'ready' until its next 'close'). */
  private connected = false;
  private everConnected = false;
  /** When it went down (ms), while it is down. */
  private downSince: number | null = null;

  constructor(
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
    private readonly metrics: MetricsService,
  ) {
    this.keyPrefix = config.redisKeyPrefix;
    if (config.redisUrl) metrics.gaugeOf('gatehouse_redis_up', '1 while Redis is connected, 0 while it is not (the service works on from the database: degraded).', () => (this.connected ? 1 : 0));
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
    this.commands?.on('ready', () => this.markUp());
    this.commands?.on('close', () => this.markDown());
    if (this.commands) this.downSince = Date.now();
  }

  /** Whether the commands connection is up; without REDIS_URL, false. */
  get available(): boolean {
    return this.connected;
  }

  /** How long Redis has been away (ms), or null while it is connected (or not configured). */
  get downForMs(): number | null {
    return this.commands && this.downSince !== null ? Date.now() - this.downSince : null;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.commands?.quit(), this.subscriber?.quit()].map((closing) => closing?.catch(() => undefined)));
  }

  private markUp(): void {
    if (this.everConnected) this.logger.log('Redis is back: shared throttling and the fast broadcast resume');
    this.connected = true;
    this.everConnected = true;
    this.downSince = null;
  }

  private markDown(): void {
    if (!this.connected) return;
    this.connected = false;
    this.downSince = Date.now();
    this.metrics.redisOutages.inc();
    this.logger.warn('Redis is unreachable: throttling counts on this instance alone, single-use identifiers go to the database, changes reach the other instances through the change feed (degraded)');
  }
}
