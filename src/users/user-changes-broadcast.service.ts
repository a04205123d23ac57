import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { RedisService } from '../redis/redis.service.js';
import { UsersService } from './users.service.js';

interface UserChangedMessage {
  instance: string;
  userId: number;
}

/**
 * Tells every instance when a user's password, role or existence changed, over
 * Redis pub/sub, so each drops its cached user and verified Basic credentials
 * at once, not when their time runs out. Without Redis, nothing to do.
 */
@Injectable()
export class UserChangesBroadcastService implements OnModuleInit {
  private readonly logger = new Logger(UserChangesBroadcastService.name);
  private readonly instance = randomUUID();
  private readonly channel: string;

  constructor(
    private readonly redis: RedisService,
    private readonly usersService: UsersService,
  ) {
    this.channel = `${redis.keyPrefix}user-changed`;
  }

  onModuleInit(): void {
    const { commands, subscriber } = this.redis;
    if (!commands || !subscriber) return;
    subscriber.on('message', (channel, text) => {
      if (channel !== this.channel) return;
      const message = JSON.parse(text) as UserChangedMessage;
      if (message.instance !== this.instance && Number.isInteger(message.userId)) this.usersService.userChanged(message.userId, 'remote');
    });
    // Not awaited: the service starts even while Redis is away (/health says so).
    subscriber.subscribe(this.channel).catch((error: Error) => this.logger.warn(`could not subscribe to ${this.channel}: ${error.message}`));
    this.usersService.onUserChanged((userId, origin) => {
      if (origin !== 'local') return;
      const message: UserChangedMessage = { instance: this.instance, userId };
      commands.publish(this.channel, JSON.stringify(message)).catch((error: Error) => {
        // The others' caches then expire on their own (seconds), as without Redis.
        this.logger.warn(`could not broadcast the change of user ${userId}: ${error.message}`);
      });
    });
  }
}
