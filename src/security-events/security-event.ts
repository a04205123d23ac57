import type { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import type { RequestContext } from '../http/request-context.js';

/**
 * The kinds of security event, as stored and as `GET /audit?type=` filters
 * them. Adding one is this one line, and raising it where the fact is known
 * (docs/API.md lists what each carries).
 */
export const SECURITY_EVENT_TYPES = [
  'account.registered',
  'login',
  'throttle.blocked',
  'refresh-token.reused',
  'token.revoked',
  'password.changed',
  'role.changed',
  'account.deleted',
  'admin.bootstrapped',
  'key.rotated',
  'key.revoked',
  'session.ended',
  'mfa.enabled',
  'mfa.disabled',
  'mfa.recovery-code-used',
  'mfa.recovery-codes-regenerated',
  'email.changed',
  'email.verification-mailed',
  'email.owner-notified',
  'email.verified',
  'password.reset-requested',
  'password.reset',
  'client.created',
  'client.registered',
  'client.expired',
  'client.updated',
  'client.deleted',
  'client.secret-rotated',
  'client.authentication-failed',
  'token.issued',
  'authorization.code-issued',
  'authorization-code.replayed',
  'dpop.proof-refused',
  'device.authorized',
  'consent.granted',
  'consent.withdrawn',
  'backchannel-logout.failed',
  'passkey.registration-started',
  'passkey.registered',
  'passkey.renamed',
  'passkey.deleted',
  'passkey.counter-regressed',
  'security-notice.sent',
  'security-notice.failed',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

export const SECURITY_EVENT_OUTCOMES = ['success', 'failure'] as const;
export type SecurityEventOutcome = (typeof SECURITY_EVENT_OUTCOMES)[number];

/** Every security event's name starts with this: `audit.login`, `audit.key.rotated`… */
export const SECURITY_EVENT_PREFIX = 'audit.';
/** What a listener subscribes to for all of them (EventEmitterModule runs with wildcards; `**` spans the dots in the types). */
export const ANY_SECURITY_EVENT = `${SECURITY_EVENT_PREFIX}**`;

/** A small flat JSON object: names, ids, reasons. Never a password, a token or a hash. */
export type SecurityEventDetails = Record<string, string | number | boolean | null>;

/** Longest client address, user agent and detail text kept (the columns' sizes): what a client sends is bounded before it is stored or logged. */
const MAX_CLIENT_ADDRESS = 64;
const MAX_USER_AGENT = 512;
export const MAX_DETAIL_TEXT = 128;

/**
 * Characters the trail shows as escapes rather than as themselves: controls
 * (Cc: C0, DEL and C1; ESC and the 8-bit CSI start terminal sequences, CR and
 * LF forge lines of a log or rows of a CSV export, NUL ends C strings), format
 * characters (Cf: bidi overrides reorder what a reader sees, zero-width ones
 * hide text), line and paragraph separators, lone surrogates; and the
 * backslash, so that every escape in the trail is one the service wrote.
 */
const ESCAPED_CHARACTER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\\]/u;

function escapeOf(character: string): string {
  if (character === '\\') return '\\\\';
  const code = character.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Free text from a client (a username as sent, a user agent, a client
 * address from X-Forwarded-For), as the trail keeps it: every character of
 * ESCAPED_CHARACTER written as a visible escape (ESC is `\u001b`, `\` is
 * `\\`), and at most `max` characters, never ending inside an escape. Done
 * here, when the event is made, so the log line, the stored row and GET
 * /audit all carry the same safe text.
 */
export function auditText(text: string, max: number): string {
  let kept = '';
  for (const character of text) {
    const shown = ESCAPED_CHARACTER.test(character) ? escapeOf(character) : character;
    if (kept.length + shown.length > max) break;
    kept += shown;
  }
  return kept;
}

export interface SecurityEventInit {
  type: SecurityEventType;
  /** Defaults to success. */
  outcome?: SecurityEventOutcome;
  /** The account that acted (the signed-in admin, the user who logged in); null when nobody is signed in. */
  actorId?: number | null;
  /** The account it was about (the one logged into, changed, deleted); null when there is none, or it is unknown. */
  subjectId?: number | null;
  /** Null when the service acted by itself (start-up, a timer) or from the command line. */
  request?: RequestContext | null;
  details?: SecurityEventDetails;
}

/**
 * One security event, raised by the service that knows the fact, with
 * `events.emit(event.name, event)`: not awaited, so recording it can neither
 * slow nor fail the request. The audit trail stores and logs it; metrics
 * counts it.
 */
export class SecurityEvent {
  readonly name: string;
  readonly occurredAt = new Date();
  readonly type: SecurityEventType;
  readonly outcome: SecurityEventOutcome;
  readonly actorId: number | null;
  readonly subjectId: number | null;
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
  readonly details: SecurityEventDetails;

  constructor({ type, outcome = 'success', actorId = null, subjectId = null, request = null, details = {} }: SecurityEventInit) {
    this.name = `${SECURITY_EVENT_PREFIX}${type}`;
    this.type = type;
    this.outcome = outcome;
    this.actorId = actorId;
    this.subjectId = subjectId;
    this.clientAddress = request ? auditText(request.clientAddress, MAX_CLIENT_ADDRESS) : null;
    this.userAgent = request?.userAgent == null ? null : auditText(request.userAgent, MAX_USER_AGENT);
    // Printable by construction (requestIdOf accepts only [A-Za-z0-9._:-]).
    this.requestId = request?.requestId ?? null;
    this.details = Object.fromEntries(Object.entries(details).map(([key, value]) => [key, typeof value === 'string' ? auditText(value, MAX_DETAIL_TEXT) : value]));
  }
}

/** Who acted, and through which request: what a service that changes something on someone's behalf is given. */
export type Actor = Pick<SecurityEventInit, 'actorId' | 'request'>;

/**
 * Raises a security event without waiting for anyone: the audit trail and
 * metrics listen. Listeners subscribe when the application bootstraps, so what
 * may happen during start-up (the first signing key) passes `ready`, and the
 * event, stamped now, is emitted once they have.
 */
export function raiseSecurityEvent(events: EventEmitter2, init: SecurityEventInit, ready?: EventEmitterReadinessWatcher): void {
  const event = new SecurityEvent(init);
  if (!ready) events.emit(event.name, event);
  else void ready.waitUntilReady().then(() => events.emit(event.name, event));
}
