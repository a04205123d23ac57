import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { In, LessThan, MoreThan, Repository } from 'typeorm';
import type { Role } from '../account-rules/account-rules.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { RevokedAccessToken } from './entities/revoked-access-token.entity.js';
import { ACCESS_TOKEN_REVOKED, AccessTokenRevokedEvent } from './events/token-events.js';
import { CLOCK_TOLERANCE_SECONDS, SigningKeysService } from './signing-keys.service.js';
import { MetricsService, type CacheLookups } from '../metrics/metrics.service.js';
import { hashOpaqueToken } from './opaque-token.js';
import { insertRows } from '../database/insert-rows.js';

/** The revoked-jti entry that stands for every token of a deleted client (a hash: the column holds 64 characters). */
const clientRevocationKey = (clientId: string) => `client:${hashOpaqueToken(clientId).slice(0, 56)}`;

/**
 * A person's token carries `username`, `role`, `cv` and `sid`; a token issued
 * to a client follows RFC 9068 (`typ: at+jwt`, `client_id`, `scope`, and for a
 * person `auth_time` and `amr`); a `client_credentials` token has `sub` =
 * `client_id` and no person at all.
 */
export interface AccessTokenClaims {
  sub: string;
  username?: string;
  role?: Role;
  /** The account's credentials version when the token was issued: a password change ends it. */
  cv?: number;
  iat: number;
  exp: number;
  iss: string;
  aud: string | string[];
  jti: string;
  /** The session (login) the token was issued in; absent from tokens issued before sessions were named, and from client_credentials tokens. */
  sid?: string;
  client_id?: string;
  scope?: string;
  auth_time?: number;
  amr?: string[];
  /** RFC 9449 §6.1: a DPoP-bound token names the JWK thumbprint of its key; it is used only with a proof signed by that key. */
  cnf?: { jkt: string };
}

/** What a token issued to a client adds (RFC 9068 §2.2): for whom, with which scope, for which resource, and how the person signed in. */
export interface ClientGrant {
  clientId: string;
  scope: string;
  /** The RFC 8707 resource, the token's `aud`; null: the default audience. */
  resource: string | null;
  authTime?: Date | null;
  amr?: string[];
}

/** A person's token (a first-party JWT) or one issued to a client (RFC 9068 §2.1: `typ` is `at+jwt`). */
const ACCEPTED_TYPES = new Set(['JWT', 'at+jwt', 'application/at+jwt']);

export interface SignedAccessToken {
  accessToken: string;
  expiresIn: number;
}

/** Claims only an id token (`nonce`, `at_hash`, `azp`) or a logout token (`events`) carries. */
const NOT_ACCESS_TOKEN_CLAIMS = ['nonce', 'at_hash', 'azp', 'events'];

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
  async sign(user: { id: number; username: string; role: Role; credentialsVersion: number }, session: { id: string; expiresAt: Date; amr?: string | null; authTime?: Date | null }, grant?: ClientGrant, jkt: string | null = null): Promise<SignedAccessToken> {
    const claims: Record<string, unknown> = { username: user.username, role: user.role, cv: user.credentialsVersion, sid: session.id };
    if (jkt) claims.cnf = { jkt };
    // A first-party token says how the person signed in too, where the session knows (RFC 9068 §2.2.1's claims, as a client's carries them).
    if (!grant && session.amr) Object.assign(claims, { amr: session.amr.split(' ').filter(Boolean), ...(session.authTime ? { auth_time: Math.floor(session.authTime.getTime() / 1000) } : {}) });
    if (grant) {
      Object.assign(claims, { client_id: grant.clientId, scope: grant.scope, amr: grant.amr });
      if (grant.authTime) claims.auth_time = Math.floor(grant.authTime.getTime() / 1000);
    }
    return this.signClaims(String(user.id), claims, grant, session.expiresAt);
  }

  /** A `client_credentials` token (RFC 9068 §2.2: `sub` is the client_id when no person is involved). */
  async signForClient(grant: ClientGrant, jkt: string | null = null): Promise<SignedAccessToken> {
    return this.signClaims(grant.clientId, { client_id: grant.clientId, scope: grant.scope, ...(jkt ? { cnf: { jkt } } : {}) }, grant);
  }

  private async signClaims(subject: string, claims: Record<string, unknown>, grant: ClientGrant | undefined, notAfter?: Date): Promise<SignedAccessToken> {
    const { issuer, audience, accessTokenTtlSeconds } = this.config.jwt;
    const key = await this.signingKeys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const left = notAfter ? Math.floor(notAfter.getTime() / 1000) - now : accessTokenTtlSeconds;
    const expiresIn = Math.max(0, Math.min(accessTokenTtlSeconds, left));
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: grant ? 'at+jwt' : 'JWT' })
      .setSubject(subject)
      .setIssuer(issuer)
      .setAudience(grant?.resource ?? audience)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { accessToken, expiresIn };
  }

  /**
   * The claims of a token this service signed with a key still in the set, or
   * null: a wrong or unknown key, another algorithm than the key's, a wrong
   * issuer, expired, `typ` neither JWT nor at+jwt, an unknown `crit`, `iat` in
   * the future, a lifetime beyond ACCESS_TOKEN_TTL. Revocation is not checked
   * here (see isRefused).
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
    // With HS256 the stored keys sign only id tokens and logout tokens: an access token is one JWT_SECRET signed.
    if (this.signingKeys.symmetric && key.algorithm !== 'HS256') return null;
    const { issuer } = this.config.jwt;
    let claims: AccessTokenClaims;
    try {
      // jose refuses any `crit` it does not know (RFC 7515 §4.1.11). The audience is the caller's to check (isForThisApi): a token for another resource (RFC 8707) is still ours to introspect.
      const { payload, protectedHeader } = await jwtVerify(token, key.publicKey, { algorithms: [key.algorithm], issuer, clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ['exp', 'iat', 'sub', 'jti', 'aud'] });
      if (!ACCEPTED_TYPES.has(String(protectedHeader.typ))) return null;
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

  /** RFC 7009 for an access token: refused by `jti` until its `exp`. Its claims, or null when it is no token of ours (nothing to do). */
  async revoke(token: string): Promise<AccessTokenClaims | null> {
    const claims = await this.verify(token);
    if (!claims) return null;
    try {
      await insertRows(this.revokedTokens, { jti: claims.jti, expiresAt: new Date(claims.exp * 1000) });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    await this.events.emitAsync(ACCESS_TOKEN_REVOKED, new AccessTokenRevokedEvent(claims.jti, claims.exp));
    return claims;
  }

  /**
   * A deleted client: every access token issued to it is refused, on every
   * instance, until the longest of them has expired. Recorded as one revoked
   * "jti" naming the client, so it travels the same way (database, events,
   * load at start) as a revoked token.
   */
  async revokeClient(clientId: string): Promise<void> {
    const jti = clientRevocationKey(clientId);
    const expiresAt = Math.ceil(Date.now() / 1000) + this.config.jwt.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS;
    try {
      await insertRows(this.revokedTokens, { jti, expiresAt: new Date(expiresAt * 1000) });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    await this.events.emitAsync(ACCESS_TOKEN_REVOKED, new AccessTokenRevokedEvent(jti, expiresAt));
  }

  /** Refused by this instance: its jti was revoked, or its client deleted, here, on another instance (heard through Redis) or before this one started. */
  isRefused(claims: AccessTokenClaims): boolean {
    return this.revokedJtis.has(claims.jti) || (claims.client_id !== undefined && this.revokedJtis.has(clientRevocationKey(claims.client_id)));
  }

  /** The database's word on isRefused, for introspection. */
  async isRefusedInDatabase(claims: AccessTokenClaims): Promise<boolean> {
    if (this.isRefused(claims)) return true;
    // The token's own jti and its client's deletion mark in one statement: either refuses it.
    const jtis = claims.client_id === undefined ? [claims.jti] : [claims.jti, clientRevocationKey(claims.client_id)];
    return this.revokedTokens.existsBy({ jti: In(jtis) });
  }

  @OnEvent(ACCESS_TOKEN_REVOKED)
  remember({ jti, expiresAt }: AccessTokenRevokedEvent): void {
    const now = Date.now() / 1000;
    for (const [known, exp] of this.revokedJtis) if (exp + CLOCK_TOLERANCE_SECONDS < now) this.revokedJtis.delete(known);
    this.revokedJtis.set(jti, expiresAt);
  }

  /** Whether Gatehouse's own API is the token's audience (RFC 9068 §4: a resource server refuses tokens for another). */
  isForThisApi(claims: AccessTokenClaims): boolean {
    const audience = this.config.jwt.audience;
    return Array.isArray(claims.aud) ? claims.aud.includes(audience) : claims.aud === audience;
  }

  private hasPlausibleClaims(claims: AccessTokenClaims): boolean {
    const { iat, exp, sub, cv, sid, client_id, scope, cnf } = claims;
    // The same keys sign id tokens (OIDC Core §2) and logout tokens (Back-Channel Logout §2.4): neither is ever an access token.
    if (NOT_ACCESS_TOKEN_CLAIMS.some((claim) => claim in claims)) return false;
    if (typeof iat !== 'number' || typeof exp !== 'number') return false;
    if (sid !== undefined && (typeof sid !== 'string' || sid.length > 64)) return false;
    if (client_id !== undefined && (typeof client_id !== 'string' || client_id.length > 64)) return false;
    if (scope !== undefined && (typeof scope !== 'string' || scope.length > 1024)) return false;
    // RFC 9449 §6.1: a SHA-256 thumbprint, 43 base64url characters.
    if (cnf !== undefined && (cnf === null || typeof cnf !== 'object' || typeof cnf.jkt !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(cnf.jkt))) return false;
    if (iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) return false;
    if (exp - iat > this.config.jwt.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) return false;
    if (typeof sub !== 'string') return false;
    // A person: a user id and the credentials version; a client_credentials token: the client and nothing else.
    if (cv === undefined) return client_id !== undefined && sub === client_id && sid === undefined;
    return typeof cv === 'number' && /^[1-9]\d{0,9}$/.test(sub);
  }
}
