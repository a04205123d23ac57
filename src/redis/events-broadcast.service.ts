import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { ACCESS_TOKEN_REVOKED, AccessTokenRevokedEvent, SIGNING_KEYS_CHANGED, SigningKeysChangedEvent } from '../tokens/events/token-events.js';
import { ANY_USER_EVENT, isUserEventName, UserChangedEvent } from '../users/events/user-changed.event.js';
import { SESSIONS_ENDED, SessionsEndedEvent } from '../sessions/events/sessions-ended.event.js';
import { RedisService } from './redis.service.js';

/** An event every instance must hear: it names itself, and says whether it was made here. */
interface SharedEvent {
  name: string;
  origin: 'local' | 'remote';
}

interface BroadcastMessage {
  instance: string;
  event: string;
  payload: Record<string, unknown>;
}

/** Far above the sessions one account has; a message naming more is not ours. */
const MAX_SESSIONS_PER_MESSAGE = 100_000;

/** How an event heard from another instance is read back; null for anything malformed. */
function eventFrom(name: string, payload: Record<string, unknown>): SharedEvent | null {
  if (isUserEventName(name)) return Number.isSafeInteger(payload.userId) ? new UserChangedEvent(name, payload.userId as number, 'remote') : null;
  if (name === ACCESS_TOKEN_REVOKED) {
    const { jti, expiresAt } = payload;
    return typeof jti === 'string' && jti.length <= 64 && Number.isSafeInteger(expiresAt) ? new AccessTokenRevokedEvent(jti, expiresAt as number, 'remote') : null;
  }
  if (name === SIGNING_KEYS_CHANGED) return new SigningKeysChangedEvent('remote');
  if (name === SESSIONS_ENDED) {
    const { userId, sessionIds, endedAt } = payload;
    const wellFormed = Number.isSafeInteger(userId) && Number.isSafeInteger(endedAt) && Array.isArray(sessionIds) && sessionIds.length <= MAX_SESSIONS_PER_MESSAGE;
    return wellFormed && sessionIds.every((id) => typeof id === 'string' && id.length <= 64)
      ? new SessionsEndedEvent(userId as number, sessionIds as string[], endedAt as number, 'remote')
      : null;
  }
  return null;
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
    const { name, origin: _origin, ...payload } = event as SharedEvent & Record<string, unknown>;
    const message: BroadcastMessage = { instance: this.instance, event: name, payload };
    await commands.publish(this.channel, JSON.stringify(message)).catch((error: Error) => {
      // The others then learn it on their own: caches expire (seconds), keys reload (30 s); a revoked jti only from the database.
      this.logger.warn(`could not broadcast ${name}: ${error.message}`);
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
    const event = valid ? eventFrom(message!.event!, message!.payload!) : null;
    if (!event) {
      this.logger.warn(`ignored a malformed message on ${this.channel}`);
      return null;
    }
    return message!.instance === this.instance ? null : event;
  }
}
