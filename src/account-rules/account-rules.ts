import { isEmail } from 'class-validator';

/**
 * The account rules of API.md, in one place: the DTO validators, the
 * configuration (bootstrap admin) and the CLI all check through these.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,64}$/;
export const USERNAME_RULE = '3 to 64 characters from A-Z a-z 0-9 . _ -';

/**
 * NIST SP 800-63B §5.1.1.2: at least 8 characters; PASSWORD_MIN_LENGTH may ask
 * more of new passwords, up to 64 (the policy in password-policy/ checks it).
 */
export const PASSWORD_MIN_LENGTH_DEFAULT = 8;
export const PASSWORD_MIN_LENGTH_LIMIT = 64;
/**
 * Every password ever accepted has at least 8 bytes (8 characters now, 8 bytes
 * before the policy counted characters), so a shorter one cannot match any
 * account and a login with it costs no hash.
 */
const STORED_PASSWORD_MIN_BYTES = 8;
/** bcrypt reads only 72 bytes: a longer password is refused, never silently truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_FORM_RULE = `at most ${PASSWORD_MAX_BYTES} bytes of UTF-8, without control characters`;

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

/** The form of any password, new or stored: well-formed UTF-8 of at most 72 bytes, no control characters. Length is the policy's. */
export function isWellFormedPassword(value: unknown): value is string {
  return typeof value === 'string' && value.isWellFormed() && !CONTROL_CHARACTER.test(value) && passwordByteLength(value) <= PASSWORD_MAX_BYTES;
}

/** Could be the password of an account: what a login checks before it spends a hash. */
export function isValidPassword(value: unknown): value is string {
  return isWellFormedPassword(value) && passwordByteLength(value) >= STORED_PASSWORD_MIN_BYTES;
}

/** Length as NIST SP 800-63B §5.1.1.2 counts it: each Unicode code point is one character. */
export function passwordLength(password: string): number {
  return [...password].length;
}

/** Usernames are unique case-insensitively; this key is what the unique index holds. */
export function usernameKey(username: string): string {
  return username.toLowerCase();
}

/** RFC 5321 §4.5.3.1.3: a path holds at most 256 octets, so an address at most 254. */
export const EMAIL_MAX_LENGTH = 254;
export const EMAIL_RULE = `an e-mail address such as alice@example.com (printable ASCII, at most ${EMAIL_MAX_LENGTH} characters; an internationalised domain in its xn-- form)`;
/**
 * Printable ASCII only: full-width and look-alike letters are refused, as in
 * usernames, rather than folded; an internationalised domain is written in
 * its xn-- (punycode) form.
 */
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/** The syntax of an address (no DNS is asked): local@domain.tld, as validator.js reads RFC 5322 without display names or IP domains. */
export function isValidEmail(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= EMAIL_MAX_LENGTH &&
    PRINTABLE_ASCII.test(value) &&
    isEmail(value, { allow_display_name: false, allow_utf8_local_part: false, require_tld: true, allow_ip_domain: false })
  );
}

/** E-mail addresses are unique case-insensitively (whatever RFC 5321 allows local parts, no provider tells Alice@ from alice@). */
export function emailKey(email: string): string {
  return email.toLowerCase();
}
