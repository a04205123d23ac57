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
export const PASSWORD_FORM_RULE = `at most ${PASSWORD_MAX_BYTES} bytes of UTF-8 once normalised (NFKC), without control characters`;

/** C0 and C1 control characters (NUL, newline, escape…, Unicode's Cc): refused in passwords, never stripped. */
const CONTROL_CHARACTER = /\p{Cc}/u;
/**
 * Zero-width space, non-joiner and joiner, word joiner, byte-order mark:
 * invisible, so a user cannot know they typed one, and NFKC keeps them. New
 * passwords may not have them (the policy says so); passwords set before
 * still log in.
 */
export const ZERO_WIDTH_CHARACTER = /[\u200b-\u200d\u2060\ufeff]/;

/** `service`: an account a resource server uses to call introspection. */
export const ROLES = ['user', 'admin', 'service'] as const;
export type Role = (typeof ROLES)[number];

export function isValidUsername(value: unknown): value is string {
  return typeof value === 'string' && USERNAME_PATTERN.test(value);
}

export function passwordByteLength(password: string): number {
  return Buffer.byteLength(password, 'utf8');
}

/**
 * The one form in which a password is hashed, checked against a hash and
 * checked by the policy (NIST SP 800-63B §5.1.1.2: "SHOULD be normalized
 * using the NFKC or NFKD normalization"): é typed composed or decomposed,
 * a full-width Ａ and a plain A, are the same password on every keyboard.
 */
export function normalisedPassword(password: string): string {
  return password.normalize('NFKC');
}

/** Text that can be a password at all: well-formed UTF-8 (no lone surrogate), no control character. */
function isPasswordText(value: unknown): value is string {
  return typeof value === 'string' && value.isWellFormed() && !CONTROL_CHARACTER.test(value);
}

/** One form of a password bcrypt can have been given: 8 to 72 bytes. */
function isStorableForm(form: string): boolean {
  const bytes = passwordByteLength(form);
  return bytes >= STORED_PASSWORD_MIN_BYTES && bytes <= PASSWORD_MAX_BYTES;
}

/**
 * The form of a new password: no control characters, and at most 72 bytes
 * once normalised, since that form is what bcrypt is given. Length, zero-width
 * characters and content are the policy's.
 */
export function isWellFormedPassword(value: unknown): value is string {
  return isPasswordText(value) && passwordByteLength(normalisedPassword(value)) <= PASSWORD_MAX_BYTES;
}

/**
 * What a login compares with the stored hash, in this order: the normalised
 * password; then, only when it differs, the password as typed, the form a
 * hash stored before passwords were normalised was made from. A form that
 * no stored password can have (outside 8 to 72 bytes) is left out; none left
 * means nothing can match, and the login costs no hash.
 */
export function passwordFormsToTry(value: unknown): string[] {
  if (!isPasswordText(value)) return [];
  return [...new Set([normalisedPassword(value), value])].filter(isStorableForm);
}

/** Could be the password of an account: what a login checks before it spends a hash. */
export function isValidPassword(value: unknown): value is string {
  return passwordFormsToTry(value).length > 0;
}

/** Length as NIST SP 800-63B §5.1.1.2 counts it: each Unicode code point is one character (of the normalised form, the one stored). */
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
