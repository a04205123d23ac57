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
  /** Names the message in the acknowledgements (absent from an older instance's). */
  id?: string;
}

/**
 * How long the instance that made a change waits for the others to say they
 * applied it. Normally a millisecond or two; a subscriber that never
 * acknowledges (an instance that froze, a tool listening on the channel, an
 * older version during a deploy) costs the request this, no more; the change
 * feed applies the change there all the same.
 */
const ACKNOWLEDGEMENT_WAIT_MS = 500;

/** A change published here: the acknowledgements heard, and how many are due (known once PUBLISH answers; an acknowledgement may come first). */
interface AwaitedAcknowledgements {
  heard: number;
  due: number | null;
  done: () => void;
}

/**
 * Tells every instance, over Redis pub/sub, what must hold everywhere at
 * once: an account changed (caches drop it), an access token was revoked (its
 * jti is refused), sessions ended (their access tokens are refused), the
 * signing keys changed (reload). An event made here is published, and the
 * request that made it is answered only once every other subscribed instance
 * acknowledged that it applied it (PUBLISH says how many subscribers got the
 * message; each answers on the acknowledgements channel), or after
 * ACKNOWLEDGEMENT_WAIT_MS: a revocation answered 200 on one instance is then
 * refused by the next request to any other, not by the one after a late
 * message (issue 29). One heard from another instance is emitted here with
 * origin 'remote', then acknowledged. Without Redis, or while it is away,
 * nothing to do: the change feed (the database) carries the changes.
 */
@Injectable()
export class EventsBroadcastService implements OnModuleInit {
  private readonly logger = new Logger(EventsBroadcastService.name);
  private readonly instance = randomUUID();
  private readonly channel: string;
  private readonly acknowledgements: string;
  private readonly awaited = new Map<string, AwaitedAcknowledgements>();

  constructor(
    private readonly redis: RedisService,
    private readonly events: EventEmitter2,
  ) {
    this.channel = `${redis.keyPrefix}events`;
    this.acknowledgements = `${redis.keyPrefix}acks`;
  }

  onModuleInit(): void {
    const { subscriber } = this.redis;
    if (!subscriber) return;
    subscriber.on('message', (channel, text) => {
      if (channel === this.acknowledgements) return this.acknowledged(text);
      if (channel !== this.channel) return;
      const heard = this.eventOf(text);
      if (heard) void this.apply(heard.event, heard.id);
    });
    // Not awaited: the service starts even while Redis is away (/health says so).
    subscriber.subscribe(this.channel, this.acknowledgements).catch((error: Error) => this.logger.warn(`could not subscribe to ${this.channel}: ${error.message}`));
  }

  @OnEvent(ANY_USER_EVENT)
  @OnEvent(ACCESS_TOKEN_REVOKED)
  @OnEvent(SIGNING_KEYS_CHANGED)
  @OnEvent(SESSIONS_ENDED)
  async publish(event: SharedEvent): Promise<void> {
    const commands = this.redis.commands;
    if (!commands || event.origin !== 'local') return;
    const message: BroadcastMessage = { instance: this.instance, event: event.name, payload: sharedPayloadOf(event), id: randomUUID() };
    let timer: NodeJS.Timeout | undefined;
    const applied = new Promise<void>((done) => {
      this.awaited.set(message.id!, { heard: 0, due: null, done });
      timer = setTimeout(done, ACKNOWLEDGEMENT_WAIT_MS);
    });
    try {
      const receivers = await commands.publish(this.channel, JSON.stringify(message));
      // Our own subscriber is among the receivers when it is subscribed; it does not acknowledge.
      const awaited = this.awaited.get(message.id!)!;
      awaited.due = receivers - (this.redis.subscriber?.status === 'ready' ? 1 : 0);
      if (awaited.heard >= awaited.due) awaited.done();
      await applied;
    } catch (error) {
      // The others learn it from the change feed (the database) within CHANGE_FEED_INTERVAL_MS all the same.
      this.logger.warn(`could not broadcast ${event.name}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
      this.awaited.delete(message.id!);
    }
  }

  /** Another instance's change: applied here, then acknowledged, so that its request may be answered. */
  private async apply(event: SharedEvent, id: string | undefined): Promise<void> {
    try {
      await this.events.emitAsync(event.name, event);
    } finally {
      if (id) await this.redis.commands?.publish(this.acknowledgements, id).catch(() => undefined);
    }
  }

  private acknowledged(id: string): void {
    const awaited = this.awaited.get(id);
    if (!awaited) return;
    awaited.heard++;
    if (awaited.due !== null && awaited.heard >= awaited.due) awaited.done();
  }

  /** Another instance's event; null (and a warning) for anything else on the channel. An instance never dies of what it hears. */
  private eventOf(text: string): { event: SharedEvent; id?: string } | null {
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
    if (message!.instance === this.instance) return null;
    return { event, id: typeof message!.id === 'string' && message!.id.length <= 64 ? message!.id : undefined };
  }
}
