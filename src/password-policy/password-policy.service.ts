import { readFile } from 'node:fs/promises';
import { BadRequestException, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { normalisedPassword, PASSWORD_MAX_BYTES, passwordLength, ZERO_WIDTH_CHARACTER } from '../account-rules/account-rules.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { PwnedPasswordsService } from './pwned-passwords.service.js';

/**
 * The 100,000 most common passwords of SecLists' 10-million-password-list
 * (see common-passwords.md beside it for the source and licence), one a line,
 * most common first.
 */
const COMMON_PASSWORDS_FILE = new URL('./common-passwords.txt', import.meta.url);

/** The policy as the API documents it (Swagger descriptions of the password fields). */
export const PASSWORD_POLICY_RULE =
  'Normalised to Unicode NFKC before it is checked or hashed (é composed or decomposed, full-width or plain letters: the same password). ' +
  'At least PASSWORD_MIN_LENGTH characters (8 unless the operator set more; each Unicode code point counts as one) and at most ' +
  `${PASSWORD_MAX_BYTES} bytes of UTF-8 (longer is refused, never truncated), without control characters. No composition rules. ` +
  'Refused with 400 when it has a zero-width character (U+200B to U+200D, U+2060, U+FEFF), when it contains the username, ' +
  'when it is one of the 100,000 most common passwords (compared case-insensitively, spaces around it ignored), ' +
  'or, with PASSWORD_BREACH_CHECK=hibp, when Have I Been Pwned knows it from a data breach.';

export const TOO_COMMON = 'is too common (it appears in lists of breached passwords)';
export const CONTAINS_USERNAME = 'must not contain the username';
export const BREACHED = 'appears in a data breach known to Have I Been Pwned';
export const ZERO_WIDTH = 'must not contain zero-width characters (zero-width spaces or joiners, word joiners, byte-order marks)';

/** How a password is looked up in the blocklist: "  Password1 " is "password1" with spaces an attacker adds for free. */
function blocklistKey(normalised: string): string {
  return normalised.trim().toLowerCase();
}

/**
 * What a new password must be, per NIST SP 800-63B §5.1.1.2: long enough
 * (PASSWORD_MIN_LENGTH characters), not the username's context (it must not
 * contain the username), and not one attackers try first (the blocklist, and
 * with PASSWORD_BREACH_CHECK=hibp, Have I Been Pwned). No composition rules:
 * the standard says verifiers SHALL NOT impose them. Every rule reads the
 * password in NFKC, the form it is hashed in (normalisedPassword), so a
 * full-width or decomposed spelling of a listed password is that password.
 * Registration, password change and reset, the CLI and the bootstrap admin
 * all ask here; logins never do, so an account keeps working after the policy
 * tightens.
 */
@Injectable()
export class PasswordPolicyService implements OnModuleInit {
  /** Lower-cased: "Password1" is as guessable as "password1", and attackers try the case variants first. */
  private commonPasswords = new Set<string>();

  constructor(
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly pwnedPasswords: PwnedPasswordsService,
  ) {}

  /**
   * Read once at start-up (0.8 MB of text). Entries shorter than the minimum
   * length are left out: the length rule refuses them before the list is
   * asked, and they are most of the list (60,670 of 100,000 are under 8
   * characters), so the set holds only what can still match.
   */
  async onModuleInit(): Promise<void> {
    const { minLength } = this.config.passwordPolicy;
    const entries = (await readFile(COMMON_PASSWORDS_FILE, 'utf8')).split('\n');
    this.commonPasswords = new Set(entries.map(normalisedPassword).filter((password) => passwordLength(password) >= minLength).map(blocklistKey));
  }

  /** Why `password` may not become the password of `username` (to follow the word "password"), or null when it may. */
  async refusalOf(password: string, username: string): Promise<string | null> {
    const { minLength } = this.config.passwordPolicy;
    const normalised = normalisedPassword(password);
    if (passwordLength(normalised) < minLength) return `must be at least ${minLength} characters`;
    // Invisible, so nobody knows they typed one; and "pass\u200bword" would slip past the blocklist.
    if (ZERO_WIDTH_CHARACTER.test(normalised)) return ZERO_WIDTH;
    // Usernames are unique case-insensitively, so "ALICE" in a password is alice's name too.
    if (normalised.toLowerCase().includes(username.toLowerCase())) return CONTAINS_USERNAME;
    if (this.commonPasswords.has(blocklistKey(normalised))) return TOO_COMMON;
    // Last, and only for a password the offline rules accept: the online check costs a round trip.
    if (await this.pwnedPasswords.isBreached(normalised)) return BREACHED;
    return null;
  }

  /** For a request: a refusal becomes a 400 whose message names the field and says why. */
  async enforce(password: string, username: string, field: string): Promise<void> {
    const refusal = await this.refusalOf(password, username);
    if (refusal) throw new BadRequestException(`${field} ${refusal}`);
  }
}
