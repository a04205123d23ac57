/**
 * The account rules of API.md, in one place: the DTO validators, the
 * configuration (bootstrap admin) and the CLI all check through these.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,64}$/;
export const USERNAME_RULE = '3 to 64 characters from A-Z a-z 0-9 . _ -';

export const PASSWORD_MIN_BYTES = 8;
/** bcrypt reads only 72 bytes: a longer password is refused, never silently truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_RULE = `${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes of UTF-8, without control characters`;

/** C0 and C1 control characters (NUL, newline, escape…): refused in passwords, never stripped. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** `service`: an account a resource server uses to call introspection. */
export const ROLES = ['user', 'admin', 'service'] as const;
export type Role = (typeof ROLES)[number];

export function isValidUsername(value: unknown): value is string {
  return typeof value === 'string' && USERNAME_PATTERN.test(value);
}

export function passwordByteLength(password: string): number {
  return Buffer.byteLength(password, 'utf8');
}

export function isValidPassword(value: unknown): value is string {
  if (typeof value !== 'string' || !value.isWellFormed() || CONTROL_CHARACTER.test(value)) return false;
  const bytes = passwordByteLength(value);
  return bytes >= PASSWORD_MIN_BYTES && bytes <= PASSWORD_MAX_BYTES;
}

/** Usernames are unique case-insensitively; this key is what the unique index holds. */
export function usernameKey(username: string): string {
  return username.toLowerCase();
}
