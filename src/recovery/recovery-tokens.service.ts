import { randomInt } from 'node:crypto';
import { hashOpaqueToken as sha256, mintOpaqueToken } from '../tokens/opaque-token.js';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, MoreThan, Not, Repository } from 'typeorm';
import type { User } from '../users/entities/user.entity.js';
import { RecoveryToken, type RecoveryPurpose } from './entities/recovery-token.entity.js';

/** How long a mailed token works. */
export const RECOVERY_TOKEN_TTL_SECONDS: Record<RecoveryPurpose, number> = {
  'verify-email': 24 * 60 * 60,
  'reset-password': 30 * 60,
};

/** What is mailed: the token (in a link) and, for a verification, a short code to type instead. */
export interface IssuedRecoveryToken {
  token: string;
  code: string | null;
}

/** Six digits: typed from a phone; tried only under the throttle (per address and client), so guessing is hopeless. */
const newCode = () => String(randomInt(1_000_000)).padStart(6, '0');

/**
 * The single-use tokens mailed to an account's address: 256 random bits,
 * stored as SHA-256 (a fast hash is enough for such entropy, and the lookup
 * by hash reveals nothing by its timing). A token is spent by one
 * conditional UPDATE, so it works once however requests and instances
 * interleave. An account holds at most one token per purpose (a unique
 * index): a new one replaces the last in the same statement, so only the
 * newest mail works, and resends cannot pile up live codes for a guesser.
 */
@Injectable()
export class RecoveryTokensService {
  constructor(@InjectRepository(RecoveryToken) private readonly tokens: Repository<RecoveryToken>) {}

  /**
   * A new token for the account's current address (which it must have),
   * replacing the account's earlier one of this purpose, spent or not, in one
   * INSERT … ON CONFLICT DO UPDATE: however issues and uses interleave, the
   * row holds one token, and a use of an older one finds nothing to spend.
   * Expired tokens of any account are purged on the way. `withCode: false`:
   * a verification no mail will carry (its address's owner is sent a notice
   * instead), issued all the same so that both cases do the same work, with
   * no code, so nothing can guess it.
   */
  async issue(user: Pick<User, 'id' | 'credentialsVersion' | 'emailKey'>, purpose: RecoveryPurpose, withCode = purpose === 'verify-email'): Promise<IssuedRecoveryToken> {
    await this.tokens.delete({ expiresAt: LessThan(new Date()) });
    const token = mintOpaqueToken();
    const code = withCode ? newCode() : null;
    const now = new Date();
    await this.tokens
      .createQueryBuilder()
      .insert()
      .values({
        tokenHash: sha256(token),
        purpose,
        userId: user.id,
        emailKey: user.emailKey!,
        codeHash: code && sha256(code),
        credentialsVersion: user.credentialsVersion,
        expiresAt: new Date(now.getTime() + RECOVERY_TOKEN_TTL_SECONDS[purpose] * 1000),
        usedAt: null,
        createdAt: now,
      })
      .orUpdate(['token_hash', 'email_key', 'code_hash', 'credentials_version', 'expires_at', 'used_at', 'created_at'], ['user_id', 'purpose'])
      .execute();
    return { token, code };
  }

  /** The live (unspent, unexpired) token of this purpose, or null. */
  findLive(token: string, purpose: RecoveryPurpose): Promise<RecoveryToken | null> {
    return this.tokens.findOneBy({ tokenHash: sha256(token), purpose, usedAt: IsNull(), expiresAt: MoreThan(new Date()) });
  }

  /**
   * The newest live verification of the address `emailKey`, if this is its
   * code; or null. Several accounts may have given an address none has
   * verified, each mailed a code: only the newest mailed to the address
   * counts, so registering it again and again cannot pile up live codes that
   * one guess would try at once.
   */
  async findLiveByCode(emailKey: string, code: string): Promise<RecoveryToken | null> {
    const newest = await this.tokens.findOne({
      where: { emailKey, purpose: 'verify-email', usedAt: IsNull(), expiresAt: MoreThan(new Date()) },
      order: { createdAt: 'DESC', tokenHash: 'DESC' },
    });
    return newest?.codeHash === sha256(code) ? newest : null;
  }

  /** The address was verified by `userId`: other accounts' verifications of it are void (they could never succeed). */
  async voidOtherVerifications(emailKey: string, userId: number): Promise<void> {
    await this.tokens.delete({ emailKey, purpose: 'verify-email', userId: Not(userId) });
  }

  /**
   * Spends the token: true for exactly one caller. A reset token also needs
   * the account's credentials version to be the one it was issued under, in
   * the same statement, so a password set meanwhile (another reset, a
   * change) voids it.
   */
  async spend(token: RecoveryToken): Promise<boolean> {
    const spend = this.tokens
      .createQueryBuilder()
      .update()
      .set({ usedAt: new Date() })
      .where('token_hash = :tokenHash AND used_at IS NULL AND expires_at > :now', { tokenHash: token.tokenHash, now: new Date() });
    if (token.purpose === 'reset-password') {
      spend.andWhere('credentials_version = (SELECT users.credentials_version FROM users WHERE users.id = :userId)', { userId: token.userId });
    }
    return (await spend.execute()).affected === 1;
  }
}
