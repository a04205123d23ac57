import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, MoreThan, Repository } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { hashOpaqueToken, mintOpaqueToken } from '../../tokens/opaque-token.js';
import { AuthorizationCode } from './entities/authorization-code.entity.js';
import { insertRows } from '../../database/insert-rows.js';

/** What a code is bound to (OAUTH.md: client, redirect URI, challenge, scope, nonce, session). */
export type CodeBindings = Pick<AuthorizationCode, 'clientId' | 'userId' | 'browserSessionId' | 'redirectUri' | 'codeChallenge' | 'scope' | 'nonce' | 'resource' | 'dpopJkt'>;

/** Why a code was refused; a replay also names what the first redemption got, so it can be ended. */
export type Redemption = { ok: true; code: AuthorizationCode } | { ok: false; replayOf: string | null };

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, compared in constant time. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/**
 * Authorization codes: 256 random bits, stored as a hash, alive at most
 * 60 s (RFC 6749 §4.1.2 recommends 10 minutes at most; OAUTH.md asks 60 s),
 * redeemed once. The redemption is one conditional UPDATE that also names
 * the session it issued, so of two redemptions at the same instant exactly
 * one wins, and the loser can end what the winner got.
 */
@Injectable()
export class AuthorizationCodesService {
  constructor(
    @InjectRepository(AuthorizationCode) private readonly codes: Repository<AuthorizationCode>,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  async issue(bindings: CodeBindings): Promise<string> {
    await this.codes.delete({ expiresAt: LessThan(new Date(Date.now() - 3600_000)) });
    const code = mintOpaqueToken();
    const expiresAt = new Date(Date.now() + this.config.oauth.authorizationCodeTtlSeconds * 1000);
    await insertRows(this.codes, { ...bindings, codeHash: hashOpaqueToken(code), expiresAt, redeemedAt: null, issuedSessionId: null });
    return code;
  }

  /** The live, unredeemed code, to check its bindings before it is spent; null for an unknown one. */
  async find(code: string): Promise<AuthorizationCode | null> {
    return this.codes.findOneBy({ codeHash: hashOpaqueToken(code) });
  }

  /**
   * Spends the code for `sessionId` (created beforehand, so a replay that
   * loses the race can end it): one conditional UPDATE. When it finds nothing
   * to spend, the code was redeemed (a replay: `replayOf` names the session of
   * the first redemption) or has expired.
   */
  async redeem(code: AuthorizationCode, sessionId: string): Promise<Redemption> {
    const now = new Date();
    const spent = await this.codes.update({ codeHash: code.codeHash, redeemedAt: IsNull(), expiresAt: MoreThan(now) }, { redeemedAt: now, issuedSessionId: sessionId });
    if (spent.affected === 1) return { ok: true, code };
    const current = await this.codes.findOneBy({ codeHash: code.codeHash });
    return { ok: false, replayOf: current?.redeemedAt ? current.issuedSessionId : null };
  }
}
