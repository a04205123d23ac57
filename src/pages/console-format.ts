/**
 * How the consoles show times, devices and audit events to a person: plain
 * words, the same on every page. Only formatting; what is shown is the
 * services'.
 */

/** A time in UTC to the minute (the server's zone is nobody's business): `2026-11-28 18:04 UTC`. */
export function formatTime(time: Date): string {
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const BROWSERS: [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
  [/curl\//, 'curl'],
];
const SYSTEMS: [RegExp, string][] = [
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** A user agent as a person names their device: "Chrome on Linux"; the raw text (bounded) when it is none of the common ones. */
export function deviceOf(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? userAgent.slice(0, 60);
}

/** The audit trail's event types (security-event.ts) in words; an unknown one as itself. */
const EVENT_WORDS: Record<string, string> = {
  'account.registered': 'Account created',
  login: 'Sign-in',
  'throttle.blocked': 'Sign-in attempts blocked',
  'password.changed': 'Password changed',
  'role.changed': 'Role changed',
  'session.ended': 'Session ended',
  'mfa.enabled': 'Two-factor turned on',
  'mfa.disabled': 'Two-factor turned off',
  'mfa.recovery-code-used': 'Recovery code used',
  'email.changed': 'E-mail address changed',
  'email.verified': 'E-mail address verified',
  'email.verification-mailed': 'Verification mail sent',
  'password.reset-requested': 'Password reset asked for',
  'password.reset': 'Password reset',
  'consent.granted': 'Application allowed',
  'consent.withdrawn': 'Application access withdrawn',
  'passkey.registered': 'Passkey added',
  'passkey.renamed': 'Passkey renamed',
  'passkey.deleted': 'Passkey removed',
  'token.issued': 'Tokens issued',
  'authorization.code-issued': 'Signed in to an application',
};

export function describeEvent(type: string): string {
  return EVENT_WORDS[type] ?? type;
}
