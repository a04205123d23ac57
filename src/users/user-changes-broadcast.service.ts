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
      const userId = this.userIdFrom(text);
      if (userId !== null) void this.usersService.userChanged(userId, 'remote');
    });
    // Not awaited: the service starts even while Redis is away (/health says so).
    subscriber.subscribe(this.channel).catch((error: Error) => this.logger.warn(`could not subscribe to ${this.channel}: ${error.message}`));
    // Awaited by the change: the others have the message before the client has its answer.
    this.usersService.onUserChanged(async (userId, origin) => {
      if (origin !== 'local') return;
      const message: UserChangedMessage = { instance: this.instance, userId };
      await commands.publish(this.channel, JSON.stringify(message)).catch((error: Error) => {
        // The others' caches then expire on their own (seconds), as without Redis.
        this.logger.warn(`could not broadcast the change of user ${userId}: ${error.message}`);
      });
    });
  }

  /** The user id of another instance's message; null (and a warning) for anything else on the channel. */
  private userIdFrom(text: string): number | null {
    let message: Partial<UserChangedMessage> | null = null;
    try {
      message = JSON.parse(text) as Partial<UserChangedMessage>;
    } catch {
      // reported below
    }
    if (!message || typeof message !== 'object' || typeof message.instance !== 'string' || !Number.isSafeInteger(message.userId)) {
      this.logger.warn(`ignored a malformed message on ${this.channel}`);
      return null;
    }
    return message.instance === this.instance ? null : message.userId!;
  }
}
