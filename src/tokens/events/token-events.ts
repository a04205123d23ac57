import type { ChangeOrigin } from '../../users/events/user-changed.event.js';

/** An access token was revoked before its expiry: every instance refuses its `jti` from now on. */
export const ACCESS_TOKEN_REVOKED = 'token.revoked';
export class AccessTokenRevokedEvent {
  readonly name = ACCESS_TOKEN_REVOKED;
  constructor(
    readonly jti: string,
    /** Seconds since the epoch: the token's `exp`, after which nothing needs remembering. */
    readonly expiresAt: number,
    readonly origin: ChangeOrigin = 'local',
  ) {}
}

/** A signing key was added or revoked: every instance reloads its keys and forgets what it verified. */
export const SIGNING_KEYS_CHANGED = 'keys.changed';
export class SigningKeysChangedEvent {
  readonly name = SIGNING_KEYS_CHANGED;
  constructor(readonly origin: ChangeOrigin = 'local') {}
}
