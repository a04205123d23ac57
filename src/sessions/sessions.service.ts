import { randomUUID } from 'node:crypto';
import { Inject, Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, LessThan, MoreThan, Not, Repository } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import type { RequestContext } from '../http/request-context.js';
import { CLOCK_TOLERANCE_SECONDS } from '../tokens/signing-keys.service.js';
import type { User } from '../users/entities/user.entity.js';
import { Session } from './entities/session.entity.js';
import { SESSIONS_ENDED, SessionsEndedEvent } from './events/sessions-ended.event.js';
import { raiseSecurityEvent, type Actor } from '../security-events/security-event.js';
import { insertRows } from '../database/insert-rows.js';

export const NO_SUCH_SESSION = 'No such session.';

/**
 * How long a session past its absolute end is kept before purgeExpired
 * deletes it: whatever must notice that a session ended by its lifetime, which
 * nobody announces (back-channel logout's sweep), looks back this far.
 */
export const EXPIRED_SESSION_RETENTION_MS = 60 * 60 * 1000;

/** Longer user agents are cut: they are for a person to recognise a device, not evidence (the column holds 512). */
const MAX_USER_AGENT_LENGTH = 512;
const userAgentOf = (request: RequestContext) => request.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null;

/** What a session is for, beyond its user: see the Session entity. */
export type SessionDetails = Partial<Pick<Session, 'kind' | 'clientId' | 'parentId' | 'scope' | 'resource' | 'amr' | 'authTime' | 'cookieHash' | 'dpopJkt'>>;

/**
 * Sessions: one per login, the family of refresh tokens that grew from it.
 * Ending one is one conditional UPDATE (the refresh tokens check their
 * session at every use) and an event, so that every instance refuses the
 * access tokens issued in it (their `sid` claim) until they expire.
 */
@Injectable()
export class SessionsService implements OnModuleInit {
  /** Session id → until when (ms) its access tokens must be refused: the longest an access token issued in it can live. */
  private readonly ended = new Map<string, number>();

  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly events: EventEmitter2,
  ) {}

  /** Sessions ended while access tokens issued in them may still be alive, including before this instance started. */
  async onModuleInit(): Promise<void> {
    const since = new Date(Date.now() - this.accessTokenLifetimeMs());
    for (const { id, revokedAt } of await this.sessions.find({ select: { id: true, revokedAt: true }, where: { revokedAt: MoreThan(since) } })) {
      this.remember(id, revokedAt!.getTime());
    }
  }

  /** A new session for a login verified at `credentialsVersion`; ended at once by a password change made meanwhile (its version is no longer the user's). */
  async start(user: Pick<User, 'id' | 'credentialsVersion'>, request: RequestContext, details: SessionDetails = {}, expiresAt?: Date): Promise<Session> {
    const now = new Date();
    const session = this.sessions.create({
      kind: 'token',
      clientId: null,
      parentId: null,
      scope: null,
      resource: null,
      amr: null,
      authTime: null,
      cookieHash: null,
      ...details,
      id: randomUUID(),
      userId: user.id,
      credentialsVersion: user.credentialsVersion,
      createdAt: now,
      lastUsedAt: now,
      // A client's session never outlives the browser session it grew from (the caller passes that end).
      expiresAt: expiresAt ?? new Date(now.getTime() + this.config.sessionMaxLifetimeSeconds * 1000),
      createdAddress: request.clientAddress,
      createdUserAgent: userAgentOf(request),
      lastAddress: request.clientAddress,
      lastUserAgent: userAgentOf(request),
      revokedAt: null,
    });
    // Every column is set here (createdAt too): nothing to read back.
    await insertRows(this.sessions, session);
    return session;
  }

  /** The live browser session whose cookie this is: not ended, not past its end, not from before a password change. */
  async findBrowserSession(cookieHash: string): Promise<Session | null> {
    return this.sessions
      .createQueryBuilder('session')
      .innerJoin('session.user', 'user')
      .where("session.cookie_hash = :cookieHash AND session.kind = 'browser' AND session.revoked_at IS NULL AND session.expires_at > :now", { cookieHash, now: new Date() })
      .andWhere('session.credentials_version = user.credentials_version')
      .getOne();
  }

  /** The session while it is live, by the database's word (a code exchange checks the browser session it came from). */
  async findLive(sessionId: string): Promise<Session | null> {
    return this.sessions
      .createQueryBuilder('session')
      .innerJoin('session.user', 'user')
      .where('session.id = :sessionId AND session.revoked_at IS NULL AND session.expires_at > :now', { sessionId, now: new Date() })
      .andWhere('session.credentials_version = user.credentials_version')
      .getOne();
  }

  /**
   * Every live token session of this client's (of one user, or of all: a
   * deleted client's), ended. Not the browser sessions that signed in
   * through it: a browser session is the person's single sign-on with
   * Gatehouse (its clientId only says where the login happened), and ending
   * it would sign them out everywhere and revoke every other client's tokens.
   */
  async endForClient(clientId: string, userId?: number): Promise<number> {
    const targets = await this.sessions.find({ select: { id: true, userId: true }, where: { clientId, kind: 'token', revokedAt: IsNull(), ...(userId === undefined ? {} : { userId }) } });
    let ended = 0;
    for (const owner of new Set(targets.map((target) => target.userId))) {
      ended += await this.endWhere(owner, { id: In(targets.filter((target) => target.userId === owner).map((target) => target.id)), revokedAt: IsNull() });
    }
    return ended;
  }

  /** A refresh: when and from where the session was last used. */
  async touch(sessionId: string, request: RequestContext): Promise<void> {
    await this.sessions.update({ id: sessionId }, { lastUsedAt: new Date(), lastAddress: request.clientAddress, lastUserAgent: userAgentOf(request) });
  }

  /** The user's live sessions, newest first: not ended, not past their absolute end, not from before a password change. */
  async listLive(userId: number): Promise<Session[]> {
    return this.sessions
      .createQueryBuilder('session')
      .innerJoin('session.user', 'user')
      .where('session.user_id = :userId AND session.revoked_at IS NULL AND session.expires_at > :now AND session.credentials_version = user.credentials_version', { userId, now: new Date() })
      .orderBy('session.created_at', 'DESC')
      .addOrderBy('session.id', 'DESC')
      .getMany();
  }

  /** Ends one live session of this user; another user's session, or one already over, is a 404 (ids cannot be probed). */
  async endOne(userId: number, sessionId: string, by: Actor): Promise<void> {
    const ended = await this.endWhere(userId, { id: sessionId, userId, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) });
    if (!ended) throw new NotFoundException(NO_SUCH_SESSION);
    raiseSecurityEvent(this.events, { type: 'session.ended', subjectId: userId, ...by, details: { sessionId } });
  }

  /**
   * Ends every session of the user that exists now, but `keep` (the caller's
   * own, when they keep it). Returns how many ended. `by` is whoever asked
   * for it (the trail records that); a password change, which records itself, gives none.
   */
  async endAll(userId: number, keep?: string, by?: Actor): Promise<number> {
    const ended = await this.endWhere(userId, { userId, revokedAt: IsNull(), ...(keep ? { id: Not(keep) } : {}) });
    if (by) raiseSecurityEvent(this.events, { type: 'session.ended', subjectId: userId, ...by, details: { sessions: ended, keptCurrent: keep !== undefined } });
    return ended;
  }

  /** Logout, or reuse of a spent refresh token: the session ends, whoever it belongs to. */
  async endById(sessionId: string): Promise<void> {
    const session = await this.sessions.findOne({ select: { id: true, userId: true }, where: { id: sessionId } });
    if (session) await this.endWhere(session.userId, { id: sessionId, revokedAt: IsNull() });
  }

  /** Access tokens issued in this session are refused: it ended here, on another instance, or before this one started. */
  isEnded(sessionId: string): boolean {
    const until = this.ended.get(sessionId);
    return until !== undefined && until > Date.now();
  }

  /** The database's word, for introspection: true even when this instance has not heard of the end yet. */
  async isEndedInDatabase(sessionId: string): Promise<boolean> {
    return this.isEnded(sessionId) || (await this.sessions.existsBy({ id: sessionId, revokedAt: Not(IsNull()) }));
  }

  /** Sessions past their absolute end are of no more use to anyone, once EXPIRED_SESSION_RETENTION_MS has let the sweeps see them end. */
  async purgeExpired(): Promise<void> {
    await this.sessions.delete({ expiresAt: LessThan(new Date(Date.now() - EXPIRED_SESSION_RETENTION_MS)) });
  }

  @OnEvent(SESSIONS_ENDED)
  heard({ sessionIds, endedAt }: SessionsEndedEvent): void {
    const now = Date.now();
    for (const [id, until] of this.ended) if (until <= now) this.ended.delete(id);
    for (const id of sessionIds) this.remember(id, endedAt);
  }

  /**
   * One conditional UPDATE; the ids are read first so that the event names
   * exactly the sessions ended (a session started meanwhile is not among them,
   * and is not ended either: the UPDATE names its ids).
   */
  private async endWhere(userId: number, where: Record<string, unknown>): Promise<number> {
    const targets = await this.sessions.find({ select: { id: true }, where });
    if (!targets.length) return 0;
    const endedAt = new Date();
    // Ending a browser session ends every client session that grew from it (OAUTH.md, "The browser session").
    const children = await this.sessions.find({ select: { id: true }, where: { parentId: In(targets.map(({ id }) => id)), revokedAt: IsNull() } });
    const ids = [...targets, ...children].map(({ id }) => id);
    const result = await this.sessions.update({ id: In(ids), revokedAt: IsNull() }, { revokedAt: endedAt });
    await this.events.emitAsync(SESSIONS_ENDED, new SessionsEndedEvent(userId, ids, endedAt.getTime()));
    return result.affected ?? 0;
  }

  private remember(sessionId: string, endedAt: number): void {
    this.ended.set(sessionId, endedAt + this.accessTokenLifetimeMs());
  }

  private accessTokenLifetimeMs(): number {
    return (this.config.jwt.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) * 1000;
  }
}
