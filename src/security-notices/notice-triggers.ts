import type { SecurityNoticeKind } from '../config/configuration.js';
import { MAX_DETAIL_TEXT, type SecurityEvent } from '../security-events/security-event.js';

/** What a security event calls for: a notice of this kind, to the account named by id (or, for a lockout, by name). */
export interface NoticeTrigger {
  kind: SecurityNoticeKind;
  account: { id: number } | { username: string };
  /** For a changed address: the old one (the event's `previousEmail`), where the notice goes instead of the account's. */
  recipient?: string;
}

/** Security events that are a notice as they are: their type and the kind. */
const DIRECT: Partial<Record<SecurityEvent['type'], SecurityNoticeKind>> = {
  'password.changed': 'password-changed',
  'password.reset': 'password-reset',
  'mfa.recovery-code-used': 'recovery-code-used',
  'mfa.recovery-codes-regenerated': 'recovery-codes-regenerated',
  'passkey.registered': 'passkey-added',
  'passkey.deleted': 'passkey-removed',
};

/**
 * The notice a security event calls for, or null: only successes (a refused
 * attempt changed nothing), except the account lockout, which is one. A pure
 * reading of the event: whether the account has a verified address, whether
 * the kind is on and whether its interval allows are SecurityNoticesService's.
 */
export function noticeTriggerOf(event: SecurityEvent): NoticeTrigger | null {
  const { type, outcome, subjectId, actorId, details } = event;
  if (type === 'throttle.blocked') {
    // The per-account lockout (LoginThrottleService's 'account' limiter) names the account by the username tried.
    return details.limiter === 'account' && typeof details.username === 'string' ? { kind: 'lockout', account: { username: details.username } } : null;
  }
  if (outcome !== 'success' || subjectId === null) return null;
  const account = { id: subjectId };
  const direct = DIRECT[type];
  if (direct) return { kind: direct, account };
  switch (type) {
    case 'login':
      // A step that signed someone in: not a password that still owes its code, nor a check of the current password.
      return details.completed !== false && details.method !== 'current-password' && details.method !== 'basic' ? { kind: 'new-sign-in', account } : null;
    case 'mfa.enabled':
      return details.factor === 'totp' ? { kind: 'totp-enabled', account } : null;
    case 'mfa.disabled':
      return details.factor === 'totp' ? { kind: 'totp-disabled', account } : null;
    case 'email.changed': {
      // A detail of MAX_DETAIL_TEXT characters may have been cut there: never mailed to what may be someone else's address.
      const previous = details.previousEmail;
      return typeof previous === 'string' && previous.length < MAX_DETAIL_TEXT && details.respelled !== true ? { kind: 'email-changed', account, recipient: previous } : null;
    }
    case 'session.ended':
      // Every session at once (a count, none kept), by someone else: an administrator.
      return typeof details.sessions === 'number' && details.keptCurrent === false && actorId !== null && actorId !== subjectId ? { kind: 'sessions-ended', account } : null;
    default:
      return null;
  }
}
