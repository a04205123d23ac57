import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { ANY_USER_EVENT, isUserEventName, UserChangedEvent, type UserEventName } from '../users/events/user-changed.event.js';
import { RedisService } from './redis.service.js';

interface UserChangedMessage {
  instance: string;
  event: UserEventName;
  userId: number;
}

/**
 * Tells every instance when a user's password, role or existence changed, over
 * Redis pub/sub: a change made here is published (and the change answered only
 * once Redis took it), and one heard from another instance is emitted here as
 * the same event with origin 'remote', so each instance drops its cached user
 * and verified Basic credentials at once. Without Redis, nothing to do.
 */
@Injectable()
export class UserChangesBroadcastService implements OnModuleInit {
  private readonly logger = new Logger(UserChangesBroadcastService.name);
  private readonly instance = randomUUID();
  private readonly channel: string;

  constructor(
    private readonly redis: RedisService,
    private readonly events: EventEmitter2,
  ) {
    this.channel = `${redis.keyPrefix}user-changed`;
  }

  onModuleInit(): void {
    const { subscriber } = this.redis;
    if (!subscriber) return;
    subscriber.on('message', (channel, text) => {
      if (channel !== this.channel) return;
      const message = this.messageFrom(text);
      if (message) void this.events.emitAsync(message.event, new UserChangedEvent(message.event, message.userId, 'remote'));
    });
    // Not awaited: the service starts even while Redis is away (/health says so).
    subscriber.subscribe(this.channel).catch((error: Error) => this.logger.warn(`could not subscribe to ${this.channel}: ${error.message}`));
  }

  @OnEvent(ANY_USER_EVENT)
  async publish(change: UserChangedEvent): Promise<void> {
    const commands = this.redis.commands;
    if (!commands || change.origin !== 'local') return;
    const message: UserChangedMessage = { instance: this.instance, event: change.name, userId: change.userId };
    await commands.publish(this.channel, JSON.stringify(message)).catch((error: Error) => {
      // The others' caches then expire on their own (seconds), as without Redis.
      this.logger.warn(`could not broadcast the change of user ${change.userId}: ${error.message}`);
    });
  }

  /** Another instance's message; null (and a warning) for anything else on the channel. An instance never dies of what it hears. */
  private messageFrom(text: string): UserChangedMessage | null {
    let message: Partial<UserChangedMessage> | null = null;
    try {
      message = JSON.parse(text) as Partial<UserChangedMessage>;
    } catch {
      // reported below
    }
    if (!message || typeof message !== 'object' || typeof message.instance !== 'string' || !isUserEventName(message.event) || !Number.isSafeInteger(message.userId)) {
      this.logger.warn(`ignored a malformed message on ${this.channel}`);
      return null;
    }
    return message.instance === this.instance ? null : (message as UserChangedMessage);
  }
}
