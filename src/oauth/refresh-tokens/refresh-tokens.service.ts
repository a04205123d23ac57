import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { isForeignKeyViolation } from '../../database/database-errors.js';
import type { User } from '../../users/entities/user.entity.js';
import { RefreshToken } from './entities/refresh-token.entity.js';
import type { RequestContext } from '../../http/request-context.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import { SessionsService, type SessionDetails } from '../../sessions/sessions.service.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { hashOpaqueToken as hashToken, mintOpaqueToken } from '../../tokens/opaque-token.js';
import { insertRows } from '../../database/insert-rows.js';

/** Why a refresh token was refused: the caller answers all of them with the same invalid_grant. */
export type RefreshRefusal = 'unknown' | 'expired' | 'reused' | 'ended' | 'not-accepted';

/** A refusal for reuse names the session it ended and its user, for the audit trail. */
export type RotationResult =
  | { ok: true; userId: number; session: Session; next: string }
  | { ok: false; reason: 'reused'; userId: number; sessionId: string }
  | { ok: false; reason: Exclude<RefreshRefusal, 'reused'> };

/** The login a revoked refresh token belonged to. */
export interface RevokedSession {
  sessionId: string;
  userId: number;
}

/** A login's session (the access tokens' `sid`), and its first refresh token unless none was asked for. */
export interface IssuedSession {
  session: Session;
  refreshToken: string | null;
}

/**
 * A token may be spent only while its session is live: not revoked, not past
 * its absolute end, and issued under the credentials the user still has.
 * Checked inside the spending UPDATE itself, so no revocation or password
 * change can slip between the check and the spend.
 */
const SESSION_IS_LIVE = `EXISTS (SELECT 1 FROM sessions s INNER JOIN users u ON u.id = s.user_id
  WHERE s.id = :sessionId AND s.revoked_at IS NULL AND s.expires_at > :now AND s.credentials_version = u.credentials_version)`;

/**
 * Opaque refresh tokens with rotation and reuse detection (OAuth 2.0 Security
 * BCP §4.14), grouped in sessions (one per login). Every state change is one
 * conditional statement, and every use checks the session, so concurrent
 * requests cannot both win and nothing outlives a revocation, on SQLite or
 * PostgreSQL, on one instance or many.
 */
@Injectable()
export class RefreshTokensService {
  constructor(
    @InjectRepository(RefreshToken) private readonly refreshTokens: Repository<RefreshToken>,
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Starts a session for the user whose credentials (at `credentialsVersion`)
   * were just verified, and returns its first refresh token; null when the
   * user was deleted meanwhile. If the password changed meanwhile, the session
   * is born dead: its version is no longer the user's. Expired rows are purged
   * on the way, so the tables stay bounded.
   */
  async issue(user: Pick<User, 'id' | 'credentialsVersion'>, request: RequestContext, details: SessionDetails = {}, options: { refreshToken?: boolean; expiresAt?: Date } = {}): Promise<IssuedSession | null> {
    await this.purgeExpired();
    try {
      const session = await this.sessions.start(user, request, details, options.expiresAt);
      return { session, refreshToken: options.refreshToken === false ? null : await this.insert(session, null) };
    } catch (error) {
      if (isForeignKeyViolation(error)) return null;
      throw error;
    }
  }

  /**
   * Spends `token` and returns its successor. A token that was already spent
   * (replayed, or lost a race for the same token) revokes its session, and
   * with it the winner's successor: the successor is checked at its own use.
   */
  async rotate(token: string, request: RequestContext, accepts: (session: Session) => boolean = () => true): Promise<RotationResult> {
    const current = await this.findWithSession(token);
    if (!current?.session) return { ok: false, reason: 'unknown' };
    // Another client's token (RFC 6749 §6: bound to the client it was issued to), or a scope it does not cover: refused, and not spent.
    if (!accepts(current.session)) return { ok: false, reason: 'not-accepted' };
    const reused = { ok: false, reason: 'reused', userId: current.userId, sessionId: current.sessionId } as const;
    if (current.spentAt) {
      await this.sessions.endById(current.sessionId);
      return reused;
    }
    const now = new Date();
    if (current.expiresAt <= now) return { ok: false, reason: 'expired' };

    // The successor first, then the spend: a process killed between the two leaves the presented token
    // unspent, to be presented again (its unused successor was never given out). The other order left a
    // spent token with no successor, a half-rotated chain: the client, which never got the answer, tried
    // again, was taken for a replay, and lost its session. (Two statements, not a transaction: SQLite's one
    // shared connection must not hold a transaction other requests' statements would fall into.)
    let next: string;
    try {
      next = await this.insert(current.session, current.id);
    } catch (error) {
      // The user (and so the session) was deleted meanwhile.
      if (isForeignKeyViolation(error)) return { ok: false, reason: 'ended' };
      throw error;
    }
    const spent = await this.refreshTokens
      .createQueryBuilder()
      .update()
      .set({ spentAt: now })
      .where(`id = :id AND spent_at IS NULL AND ${SESSION_IS_LIVE}`, { id: current.id, sessionId: current.sessionId, now })
      .execute();
    if (spent.affected !== 1) {
      // The successor is nobody's: take it away. Then, either another request spent the token first (reuse)
      // or the session has ended: end it for good.
      await this.refreshTokens.delete({ tokenHash: hashToken(next) });
      await this.sessions.endById(current.sessionId);
      const spentMeanwhile = (await this.refreshTokens.findOneBy({ id: current.id }))?.spentAt;
      return spentMeanwhile ? reused : { ok: false, reason: 'ended' };
    }
    await this.sessions.touch(current.sessionId, request);
    this.metrics.refreshRotations.inc();
    return { ok: true, userId: current.userId, session: current.session, next };
  }

  /** For introspection: whose token this is, until when, and whether it would be accepted now. Null: no refresh token of ours. */
  async inspect(token: string): Promise<{ userId: number; expiresAt: Date; active: boolean } | null> {
    const current = await this.findWithSession(token, { withUser: true });
    if (!current?.session) return null;
    const now = Date.now();
    const { session, user } = current;
    const active =
      !current.spentAt && current.expiresAt.getTime() > now && !session.revokedAt && session.expiresAt.getTime() > now && user?.credentialsVersion === session.credentialsVersion;
    return { userId: current.userId, expiresAt: current.expiresAt, active };
  }

  /** RFC 7009: ends the token's session (that login); an unknown token is no error (null). */
  async revoke(token: string, owns: (session: Session) => boolean = () => true): Promise<RevokedSession | null> {
    const current = await this.findWithSession(token);
    if (!current?.session || !owns(current.session)) return null;
    await this.sessions.endById(current.sessionId);
    return { sessionId: current.sessionId, userId: current.userId };
  }

  /**
   * The token's row with its session (and its user): one statement. find()
   * with relations would be two, since it limits to one row: first the
   * DISTINCT ids, then the join (a token hash is unique, so no limit is needed).
   */
  private findWithSession(token: string, { withUser = false } = {}): Promise<RefreshToken | null> {
    const query = this.refreshTokens.createQueryBuilder('token').leftJoinAndSelect('token.session', 'session').where('token.tokenHash = :tokenHash', { tokenHash: hashToken(token) });
    return (withUser ? query.leftJoinAndSelect('token.user', 'user') : query).getOne();
  }

  private async purgeExpired(): Promise<void> {
    await this.refreshTokens.delete({ expiresAt: LessThan(new Date()) });
    await this.sessions.purgeExpired();
  }

  /** The first refresh token of a session started elsewhere (a code exchange starts it before it spends the code). */
  firstToken(session: Pick<Session, 'id' | 'userId' | 'expiresAt'>): Promise<string> {
    return this.insert(session, null);
  }

  /** A new token of the session; it never outlives the session's absolute end. */
  private async insert(session: Pick<Session, 'id' | 'userId' | 'expiresAt'>, parentId: number | null): Promise<string> {
    const token = mintOpaqueToken();
    const expiresAt = new Date(Math.min(Date.now() + this.config.refreshTokenTtlSeconds * 1000, session.expiresAt.getTime()));
    await insertRows(this.refreshTokens, { userId: session.userId, sessionId: session.id, parentId, tokenHash: hashToken(token), expiresAt });
    return token;
  }
}
