import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { LessThan, MoreThan, Repository } from 'typeorm';
import type { Role } from '../account-rules/account-rules.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { RevokedAccessToken } from './entities/revoked-access-token.entity.js';
import { ACCESS_TOKEN_REVOKED, AccessTokenRevokedEvent } from './events/token-events.js';
import { CLOCK_TOLERANCE_SECONDS, SigningKeysService } from './signing-keys.service.js';
import { MetricsService, type CacheLookups } from '../metrics/metrics.service.js';

export interface AccessTokenClaims {
  sub: string;
  username: string;
  role: Role;
  /** The account's credentials version when the token was issued: a password change ends it. */
  cv: number;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
  jti: string;
  /** The session (login) the token was issued in; absent from tokens issued before sessions were named. */
  sid?: string;
}

export interface SignedAccessToken {
  accessToken: string;
  expiresIn: number;
}

/** Verified tokens remembered, so the Bearer path pays for a signature check once per token, not per request. */
const MAX_VERIFIED_TOKENS = 10_000;

/** A verified token's claims and the key that signed it: the key is asked again on every use. */
interface VerifiedToken {
  claims: AccessTokenClaims;
  kid: string;
}

/**
 * Access tokens: signed with the current signing key (its `kid` in the
 * header), verified against the key set with the algorithm of the named key
 * pinned, issuer, audience and lifetime checked; revocable by `jti` until
 * they expire, on every instance (the database for introspection, memory and
 * events for the guard).
 */
@Injectable()
export class AccessTokensService implements OnModuleInit {
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: MAX_VERIFIED_TOKENS, ttlAutopurge: false });
  /** Revoked jti → its exp (seconds), loaded at start and kept current by events. */
  private readonly revokedJtis = new Map<string, number>();
  private readonly lookups: CacheLookups;

  constructor(
    private readonly signingKeys: SigningKeysService,
    @InjectRepository(RevokedAccessToken) private readonly revokedTokens: Repository<RevokedAccessToken>,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly events: EventEmitter2,
    metrics: MetricsService,
  ) {
    this.lookups = metrics.watchCache('verified-access-tokens', () => this.verified.size);
  }

  async onModuleInit(): Promise<void> {
    await this.revokedTokens.delete({ expiresAt: LessThan(new Date()) });
    for (const { jti, expiresAt } of await this.revokedTokens.findBy({ expiresAt: MoreThan(new Date()) })) {
      this.revokedJtis.set(jti, Math.floor(expiresAt.getTime() / 1000));
    }
  }

  /**
   * An access token of the session: ACCESS_TOKEN_TTL, but never past the
   * session's absolute end (a token must not outlive the login it stands for;
   * NIST SP 800-63B §7.2 bounds a session's reauthentication time), so `exp`
   * is at most `sessionEndsAt` and `expiresIn` is what is left of both.
   */
  async sign(user: { id: number; username: string; role: Role; credentialsVersion: number }, session: { id: string; expiresAt: Date }): Promise<SignedAccessToken> {
    const { issuer, audience, accessTokenTtlSeconds } = this.config.jwt;
    const key = await this.signingKeys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = Math.max(0, Math.min(accessTokenTtlSeconds, Math.floor(session.expiresAt.getTime() / 1000) - now));
    const accessToken = await new SignJWT({ username: user.username, role: user.role, cv: user.credentialsVersion, sid: session.id })
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' })
      .setSubject(String(user.id))
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { accessToken, expiresIn };
  }

  /**
   * The claims of a token this service signed with a key still in the set, or
   * null: a wrong or unknown key, another algorithm than the key's, a wrong
   * issuer or audience, expired, `typ` not JWT, an unknown `crit`, `iat` in
   * the future, a lifetime beyond ACCESS_TOKEN_TTL. Revocation is not checked
   * here (see isRevoked).
   */
  async verify(token: string): Promise<AccessTokenClaims | null> {
    return this.remembered(token) ?? this.verifySignature(token);
  }

  /** The claims of a token this instance verified before and that has not expired since: the Bearer path's fast way, no promise. Counted as the cache's hit or miss. */
  alreadyVerified(token: string): AccessTokenClaims | undefined {
    const claims = this.remembered(token);
    if (claims) this.lookups.hits++;
    else this.lookups.misses++;
    return claims;
  }

  /** A cached token, while it has not expired and its key still verifies in the set loaded now (a revocation, here or heard of, or a reload). */
  private remembered(token: string): AccessTokenClaims | undefined {
    const cached = this.verified.get(token);
    if (!cached || cached.claims.exp + CLOCK_TOLERANCE_SECONDS <= Date.now() / 1000) return undefined;
    if (this.signingKeys.verifies(cached.kid)) return cached.claims;
    this.verified.delete(token);
    return undefined;
  }

  private async verifySignature(token: string): Promise<AccessTokenClaims | null> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return null;
    }
    // Taken before the key: a reload while this verification runs may drop the key, and then its result must not be cached.
    const keySetVersion = this.signingKeys.keySetVersion;
    const key = kid ? await this.signingKeys.verificationKey(kid) : null;
    if (!key || !kid) return null;
    const { issuer, audience } = this.config.jwt;
    let claims: AccessTokenClaims;
    try {
      // jose refuses any `crit` it does not know (RFC 7515 §4.1.11) and a `typ` other than JWT.
      const { payload } = await jwtVerify(token, key.publicKey, { algorithms: [key.algorithm], issuer, audience, typ: 'JWT', clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ['exp', 'iat', 'sub', 'jti'] });
      claims = payload as unknown as AccessTokenClaims;
    } catch {
      return null;
    }
    if (!this.hasPlausibleClaims(claims)) return null;
    // The key set may have changed while the signature was checked: the key must still verify, and only a result from the set loaded now is cached.
    if (this.signingKeys.keySetVersion !== keySetVersion) return this.signingKeys.verifies(kid) ? claims : null;
    this.verified.set(token, { claims, kid }, { ttl: Math.max(1, (claims.exp + CLOCK_TOLERANCE_SECONDS) * 1000 - Date.now()) });
    return claims;
  }

  /** The database's word on the token's key, for introspection: false once the key is revoked, even before this instance has reloaded its keys. */
  async hasLiveKeyInDatabase(token: string): Promise<boolean> {
    try {
      const { kid } = decodeProtectedHeader(token);
      return kid !== undefined && (await this.signingKeys.isLiveInDatabase(kid));
    } catch {
      return false;
    }
  }

  /** Refused by this instance: revoked here, on another instance (heard through Redis) or before it started. */
  isRevoked(jti: string): boolean {
    return this.revokedJtis.has(jti);
  }

  /** The database's word, for introspection: true even when this instance has not heard of the revocation yet. */
  async isRevokedInDatabase(jti: string): Promise<boolean> {
    return this.isRevoked(jti) || (await this.revokedTokens.existsBy({ jti }));
  }

  /** RFC 7009 for an access token: refused by `jti` until its `exp`. Its claims, or null when it is no token of ours (nothing to do). */
  async revoke(token: string): Promise<AccessTokenClaims | null> {
    const claims = await this.verify(token);
    if (!claims) return null;
    try {
      await this.revokedTokens.insert({ jti: claims.jti, expiresAt: new Date(claims.exp * 1000) });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    await this.events.emitAsync(ACCESS_TOKEN_REVOKED, new AccessTokenRevokedEvent(claims.jti, claims.exp));
    return claims;
  }

  @OnEvent(ACCESS_TOKEN_REVOKED)
  remember({ jti, expiresAt }: AccessTokenRevokedEvent): void {
    const now = Date.now() / 1000;
    for (const [known, exp] of this.revokedJtis) if (exp + CLOCK_TOLERANCE_SECONDS < now) this.revokedJtis.delete(known);
    this.revokedJtis.set(jti, expiresAt);
  }

  private hasPlausibleClaims({ iat, exp, sub, cv, sid }: AccessTokenClaims): boolean {
    if (typeof iat !== 'number' || typeof exp !== 'number' || typeof cv !== 'number') return false;
    if (sid !== undefined && (typeof sid !== 'string' || sid.length > 64)) return false;
    if (iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) return false;
    if (exp - iat > this.config.jwt.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) return false;
    return typeof sub === 'string' && /^[1-9]\d{0,9}$/.test(sub);
  }
}
