import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';

/** The range API's hash prefix: five hex characters of the SHA-1, all that leaves the machine. */
const PREFIX_LENGTH = 5;

/**
 * The optional online check (PASSWORD_BREACH_CHECK=hibp) against Have I Been
 * Pwned's Pwned Passwords range API, with k-anonymity: only the first five hex
 * characters of the password's SHA-1 are sent; the answer lists every known
 * suffix under that prefix, and the match is made here. `Add-Padding: true`
 * asks for decoy suffixes (count 0), so the size of the answer tells an
 * observer nothing either.
 *
 * The check may only ever refuse a password it found: when the API cannot be
 * asked (down, slow, an error status), the check is skipped with a warning,
 * and the password is judged by the offline rules alone.
 */
@Injectable()
export class PwnedPasswordsService {
  private readonly logger = new Logger(PwnedPasswordsService.name);

  constructor(@Inject(APP_CONFIGURATION) private readonly config: AppConfiguration) {}

  /** True when the API knows the password from a breach; false when it does not, when the check is off, or when it could not be asked. */
  async isBreached(password: string): Promise<boolean> {
    const api = this.config.passwordPolicy.breachCheck;
    if (!api) return false;
    const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const suffixes = await this.suffixesOf(api.apiUrl, sha1.slice(0, PREFIX_LENGTH), api.timeoutSeconds);
    return suffixes?.has(sha1.slice(PREFIX_LENGTH)) ?? false;
  }

  /** The breached suffixes under `prefix` (padding left out), or null when the API could not be asked. */
  private async suffixesOf(apiUrl: string, prefix: string, timeoutSeconds: number): Promise<Set<string> | null> {
    try {
      const response = await fetch(`${apiUrl}/range/${prefix}`, {
        headers: { 'Add-Padding': 'true', 'User-Agent': 'gatehouse' },
        // Covers the body as well as the headers: a slow answer is no answer.
        signal: AbortSignal.timeout(timeoutSeconds * 1000),
      });
      if (!response.ok) {
        await response.body?.cancel();
        return this.skipped(apiUrl, `it answered ${response.status}`);
      }
      return breachedSuffixes(await response.text());
    } catch (error) {
      return this.skipped(apiUrl, (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutSeconds} s` : describe(error));
    }
  }

  private skipped(apiUrl: string, reason: string): null {
    this.logger.warn(`the Have I Been Pwned password check was skipped (${apiUrl}: ${reason}); the password was judged by the offline rules alone`);
    return null;
  }
}

/** The range API's body: one `SUFFIX:COUNT` a line; padding lines have the count 0. */
function breachedSuffixes(body: string): Set<string> {
  const suffixes = new Set<string>();
  for (const line of body.split('\n')) {
    const [suffix, count] = line.trim().split(':');
    if (suffix && Number(count) > 0) suffixes.add(suffix.toUpperCase());
  }
  return suffixes;
}

/** fetch's TypeError says only "fetch failed"; the reason (ECONNREFUSED, a reset…) is its cause. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
