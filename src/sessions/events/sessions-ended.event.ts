import type { ChangeOrigin } from '../../users/events/user-changed.event.js';

/**
 * Sessions ended before their time (logout, DELETE /auth/sessions…, reuse of
 * a spent refresh token, a password change): every instance refuses the
 * access tokens issued in them (their `sid`) from now on.
 */
export const SESSIONS_ENDED = 'sessions.ended';
export class SessionsEndedEvent {
  readonly name = SESSIONS_ENDED;
  constructor(
    readonly userId: number,
    readonly sessionIds: string[],
    /** Milliseconds since the epoch. */
    readonly endedAt: number,
    readonly origin: ChangeOrigin = 'local',
  ) {}
}
