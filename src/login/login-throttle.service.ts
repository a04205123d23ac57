import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { RedisService } from '../redis/redis.service.js';
import { usernameKey } from '../account-rules/account-rules.js';
import type { RequestContext } from '../http/request-context.js';
import { RateLimitsService, type Count } from '../throttle/rate-limits.service.js';

/** How long an address from which an account logged in keeps its own allowance during an account-wide block. */
const KNOWN_ADDRESS_MS = 30 * 24 * 60 * 60 * 1000;
const MAX_KNOWN_ADDRESSES_IN_MEMORY = 100_000;

/**
 * One counted attempt. Settle it once the credential was checked:
 * `succeeded` gives back what it cost (a right credential is no guess), while
 * a failure keeps it; `notChecked` gives it back when nothing was checked
 * after all (the hashing pool refused it).
 */
export interface LoginAttempt {
  succeeded(): Promise<void>;
  notChecked(): Promise<void>;
}

/**
 * A counted login attempt, which can also complete a login. `succeeded` alone
 * changes no throttle state: a right password of an account that still owes
 * its second factor must not forgive the wrong codes sent before or after it.
 * Only `loggedIn` (every factor presented) resets the username+address
 * failures and makes the address one the account logged in from.
 */
export interface CountedLogin extends LoginAttempt {
  loggedIn(): Promise<void>;
}

/**
 * Brute-force defence (rate-limiter-flexible). Every attempt is counted
 * *before* its password is checked, so however guesses arrive (in sequence,
 * all at once, spread over instances) no more than the limit are ever
 * checked in a window:
 * - per username and client address: a few failures block that pair for the
 *   window; a completed login (the password, and the code when two-factor
 *   is on) resets it;
 * - per client address: many failures, whatever the usernames, block the address;
 * - per account, from all addresses together (NIST SP 800-63B §5.2.2), except
 *   from addresses the account completed a login from in the last 30 days: those keep
 *   their own per-pair allowance, so a botnet cannot lock the owner out.
 * Registrations are limited per address; so are the e-mail routes (password
 * reset requests and resets, verification codes), which are also counted per
 * account, and the mail an account asks for (each address's own limit is the
 * mail module's). With REDIS_URL the counters live in Redis (atomic
 * increments), so attempts sent to several instances count together.
 *
 * @nestjs/throttler counts requests, not outcomes, and its storage can neither
 * give a point back nor reset a counter, which "a success costs nothing" needs.
 */
@Injectable()
export class LoginThrottleService {
  private readonly attemptsByUsernameAndAddress: RateLimiterAbstract;
  private readonly attemptsByAddress: RateLimiterAbstract;
  private readonly attemptsByAccount: RateLimiterAbstract;
  private readonly registrationsByAddress: RateLimiterAbstract;
  private readonly recoveryByAddress: RateLimiterAbstract;
  private readonly recoveryByAccount: RateLimiterAbstract;
  private readonly mailsByAccount: RateLimiterAbstract;
  /** Accounts' recent login addresses, while Redis is away or absent. */
  private readonly knownAddressesInMemory = new LRUCache<string, true>({ max: MAX_KNOWN_ADDRESSES_IN_MEMORY, ttl: KNOWN_ADDRESS_MS });

  constructor(
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
    private readonly redis: RedisService,
    private readonly limits: RateLimitsService,
  ) {
    const { failuresPerUsernameAndAddress, failuresPerAddress, failuresPerAccount, registrationsPerAddress, recoveryPerAddress, recoveryPerAccount, mailsPerAccount } = config.throttle;
    this.attemptsByUsernameAndAddress = limits.limiter('login_fail_username_address', failuresPerUsernameAndAddress);
    this.attemptsByAddress = limits.limiter('login_fail_address', failuresPerAddress);
    this.attemptsByAccount = limits.limiter('login_fail_account', failuresPerAccount);
    this.registrationsByAddress = limits.limiter('register_address', registrationsPerAddress);
    this.recoveryByAddress = limits.limiter('recovery_address', recoveryPerAddress);
    this.recoveryByAccount = limits.limiter('recovery_account', recoveryPerAccount);
    this.mailsByAccount = limits.limiter('mail_account', mailsPerAccount);
  }

  /**
   * Counts a login attempt before any password or code is checked: 429 when
   * this username from this address, this address, or this account has no
   * attempt left. A refused attempt costs nothing. Passwords and second-factor
   * codes (TOTP and recovery codes, at login and wherever else one is asked
   * for) are counted here alike, on the same counters.
   */
  async consumeLoginAttempt(username: string, request: RequestContext): Promise<CountedLogin> {
    const address = request.clientAddress;
    const pair = pairKey(username, address);
    const counts: Count[] = [
      [this.attemptsByUsernameAndAddress, pair, 'username-address'],
      [this.attemptsByAddress, address, 'address'],
    ];
    if (!(await this.isKnownAddress(pair))) counts.push([this.attemptsByAccount, usernameKey(username), 'account']);
    const counted = await this.countAll(counts, 'Too many failed logins', request, username);
    return {
      loggedIn: async () => {
        const [, ...others] = counted;
        await Promise.all([this.attemptsByUsernameAndAddress.delete(pair), this.giveBack(others), this.rememberAddress(pair)]);
      },
      succeeded: () => this.giveBack(counted),
      notChecked: () => this.giveBack(counted),
    };
  }

  /**
   * A sign-in answer that names no account (a passkey no account has):
   * counted as a failed login of the client address, on the counter wrong
   * passwords from it use, and kept. 429 when the address has none left.
   */
  async consumeAnonymousAttempt(request: RequestContext): Promise<void> {
    await this.countAll([[this.attemptsByAddress, request.clientAddress, 'address']], 'Too many failed logins', request);
  }

  /**
   * A password-reset request, counted per username or address given (whether
   * or not an account has it, so a 429 tells nothing) and per client address.
   * Never given back: each one may send a mail.
   */
  async consumeResetRequest(identifier: string, request: RequestContext): Promise<void> {
    await this.countAll(
      [
        [this.recoveryByAccount, `request:${identifier.toLowerCase()}`, 'recovery-account'],
        [this.recoveryByAddress, request.clientAddress, 'recovery-address'],
      ],
      'Too many password-reset requests',
      request,
    );
  }

  /**
   * A try of a mailed token (reset, verification) from this client address,
   * and of a verification code for this e-mail address: counted before it is
   * checked, given back when it was right, as for logins.
   */
  async consumeTokenAttempt(request: RequestContext, codeForEmailKey?: string): Promise<LoginAttempt> {
    const counts: Count[] = [[this.recoveryByAddress, request.clientAddress, 'recovery-address']];
    if (codeForEmailKey !== undefined) counts.push([this.recoveryByAccount, `code:${codeForEmailKey}`, 'recovery-account']);
    const counted = await this.countAll(counts, 'Too many wrong tokens or codes', request);
    return { succeeded: () => this.giveBack(counted), notChecked: () => this.giveBack(counted) };
  }

  /**
   * One more mail the signed-in account asks for (PUT /auth/email, resend),
   * or 429: one account cannot spray mail at address after address. Only the
   * account's own requests count here, so the 429 tells its owner nothing
   * about anyone else; each address's own limit (MailService) never answers.
   */
  async consumeMail(userId: number, request: RequestContext): Promise<void> {
    await this.countAll([[this.mailsByAccount, `user:${userId}`, 'mail-account']], 'Too many mails to this account', request);
  }

  async consumeRegistration(request: RequestContext): Promise<void> {
    await this.countAll([[this.registrationsByAddress, request.clientAddress, 'registration']], 'Too many registrations from this address', request);
  }

  private countAll(counts: Count[], refusal: string, request: RequestContext | null, username?: string): Promise<Count[]> {
    return this.limits.countAll(counts, refusal, request, username);
  }

  private giveBack(counted: Count[]): Promise<void> {
    return this.limits.giveBack(counted);
  }

  private async rememberAddress(pair: string): Promise<void> {
    this.knownAddressesInMemory.set(pair, true);
    await this.redis.commands?.set(this.knownAddressKey(pair), '1', 'PX', KNOWN_ADDRESS_MS).catch(() => undefined);
  }

  private async isKnownAddress(pair: string): Promise<boolean> {
    if (this.redis.commands) {
      try {
        return (await this.redis.commands.exists(this.knownAddressKey(pair))) === 1;
      } catch {
        // Redis is away: what this instance saw itself
      }
    }
    return this.knownAddressesInMemory.has(pair);
  }

  private knownAddressKey(pair: string): string {
    return `${this.redis.keyPrefix}login_known_address:${pair}`;
  }
}

function pairKey(username: string, address: string): string {
  return `${usernameKey(username)}|${address}`;
}
