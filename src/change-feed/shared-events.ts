import { ACCESS_TOKEN_REVOKED, AccessTokenRevokedEvent, SIGNING_KEYS_CHANGED, SigningKeysChangedEvent } from '../tokens/events/token-events.js';
import { isUserEventName, UserChangedEvent } from '../users/events/user-changed.event.js';
import { SESSIONS_ENDED, SessionsEndedEvent } from '../sessions/events/sessions-ended.event.js';

/**
 * An event every instance must hear: an account changed (caches drop it), an
 * access token was revoked (its jti is refused), sessions ended (their access
 * tokens are refused), the signing keys changed (reload). It names itself,
 * and says whether it was made here.
 */
export interface SharedEvent {
  name: string;
  origin: 'local' | 'remote';
}

/** Far above the sessions one account has; a message naming more is not ours. */
const MAX_SESSIONS_PER_MESSAGE = 100_000;

/** What travels of an event (over Redis, in the change feed): its fields, without its name and origin. */
export function sharedPayloadOf(event: SharedEvent): Record<string, unknown> {
  const { name: _name, origin: _origin, ...payload } = event as SharedEvent & Record<string, unknown>;
  return payload;
}

/**
 * How an event made by another instance (a Redis message, a change-feed row)
 * is read back, with origin 'remote'; null for anything malformed: an
 * instance never dies of, nor trusts, what it hears.
 */
export function sharedEventFrom(name: string, payload: Record<string, unknown>): SharedEvent | null {
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
