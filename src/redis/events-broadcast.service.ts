import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { ACCESS_TOKEN_REVOKED, SIGNING_KEYS_CHANGED } from '../tokens/events/token-events.js';
import { ANY_USER_EVENT } from '../users/events/user-changed.event.js';
import { SESSIONS_ENDED } from '../sessions/events/sessions-ended.event.js';
import { sharedEventFrom, sharedPayloadOf, type SharedEvent } from '../change-feed/shared-events.js';
import { RedisService } from './redis.service.js';

interface BroadcastMessage {
  instance: string;
  event: string;
  payload: Record<string, unknown>;
}

/**
 * Tells every instance, over Redis pub/sub, what must hold everywhere at
 * once: an account changed (caches drop it), an access token was revoked (its
 * jti is refused), sessions ended (their access tokens are refused), the signing keys changed (reload). An event made here is
 * published, and the request that made it is answered only once Redis took
 * it; one heard from another instance is emitted here with origin 'remote'.
 * Without Redis, nothing to do.
 */
@Injectable()
export class EventsBroadcastService implements OnModuleInit {
  private readonly logger = new Logger(EventsBroadcastService.name);
  private readonly instance = randomUUID();
  private readonly channel: string;

  constructor(
    private readonly redis: RedisService,
    private readonly events: EventEmitter2,
  ) {
    this.channel = `${redis.keyPrefix}events`;
  }

  onModuleInit(): void {
    const { subscriber } = this.redis;
    if (!subscriber) return;
    subscriber.on('message', (channel, text) => {
      if (channel !== this.channel) return;
      const event = this.eventOf(text);
      if (event) void this.events.emitAsync(event.name, event);
    });
    // Not awaited: the service starts even while Redis is away (/health says so).
    subscriber.subscribe(this.channel).catch((error: Error) => this.logger.warn(`could not subscribe to ${this.channel}: ${error.message}`));
  }

  @OnEvent(ANY_USER_EVENT)
  @OnEvent(ACCESS_TOKEN_REVOKED)
  @OnEvent(SIGNING_KEYS_CHANGED)
  @OnEvent(SESSIONS_ENDED)
  async publish(event: SharedEvent): Promise<void> {
    const commands = this.redis.commands;
    if (!commands || event.origin !== 'local') return;
    const message: BroadcastMessage = { instance: this.instance, event: event.name, payload: sharedPayloadOf(event) };
    await commands.publish(this.channel, JSON.stringify(message)).catch((error: Error) => {
      // The others learn it from the change feed (the database) within CHANGE_FEED_INTERVAL_MS all the same.
      this.logger.warn(`could not broadcast ${event.name}: ${error.message}`);
    });
  }

  /** Another instance's event; null (and a warning) for anything else on the channel. An instance never dies of what it hears. */
  private eventOf(text: string): SharedEvent | null {
    let message: Partial<BroadcastMessage> | null = null;
    try {
      message = JSON.parse(text) as Partial<BroadcastMessage>;
    } catch {
      // reported below
    }
    const valid = message && typeof message === 'object' && typeof message.instance === 'string' && typeof message.event === 'string' && typeof message.payload === 'object' && message.payload !== null;
    const event = valid ? sharedEventFrom(message!.event!, message!.payload!) : null;
    if (!event) {
      this.logger.warn(`ignored a malformed message on ${this.channel}`);
      return null;
    }
    return message!.instance === this.instance ? null : event;
  }
}
