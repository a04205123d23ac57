/**
 * The changes of an account that whatever holds it must hear of at once:
 * caches drop it, the Redis broadcast tells the other instances (and later,
 * sessions and the audit trail subscribe too). Emitted with emitAsync and
 * awaited, so a change is answered only once every subscriber is done.
 */
export const USER_EVENTS = {
  passwordChanged: 'user.password-changed',
  roleChanged: 'user.role-changed',
  deleted: 'user.deleted',
  /** Two-factor turned on or off: cached Basic credentials and cached users must go. */
  secondFactorChanged: 'user.second-factor-changed',
  /** The e-mail address set, changed or verified: cached users must go. */
  emailChanged: 'user.email-changed',
} as const;
export type UserEventName = (typeof USER_EVENTS)[keyof typeof USER_EVENTS];

/** Every one of USER_EVENTS (EventEmitterModule runs with wildcards). */
export const ANY_USER_EVENT = 'user.*';

export function isUserEventName(value: unknown): value is UserEventName {
  return (Object.values(USER_EVENTS) as unknown[]).includes(value);
}

/** Where the change was made: on this instance, or on another one (heard through Redis). */
export type ChangeOrigin = 'local' | 'remote';

/** The payload of every one of USER_EVENTS; it names its event, since a wildcard subscriber is not told which one fired. */
export class UserChangedEvent {
  constructor(
    readonly name: UserEventName,
    readonly userId: number,
    readonly origin: ChangeOrigin = 'local',
  ) {}
}
