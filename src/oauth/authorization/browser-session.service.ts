import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
// Its declarations add request.cookies and reply.setCookie.
import type {} from '@fastify/cookie';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import type { RequestContext } from '../../http/request-context.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import { SessionsService } from '../../sessions/sessions.service.js';
import { hashOpaqueToken, mintOpaqueToken } from '../../tokens/opaque-token.js';
import type { User } from '../../users/entities/user.entity.js';

/**
 * The browser session of the hosted pages (OAUTH.md, "The browser
 * session"): a Gatehouse session like any other (listed, ended, limited in
 * lifetime), found by a cookie that holds 256 random bits (only its hash is
 * stored). `HttpOnly`, `SameSite=Lax`; `Secure` with the `__Host-` prefix
 * when PUBLIC_URL is https (RFC 6265bis §4.1.3.2). Every login sets a new
 * one: a cookie planted before the login never becomes a session (fixation).
 */
@Injectable()
export class BrowserSessionService {
  private readonly secure: boolean;
  readonly cookieName: string;

  constructor(
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
  ) {
    this.secure = config.publicUrl.startsWith('https:');
    this.cookieName = this.secure ? '__Host-gatehouse-session' : 'gatehouse-session';
  }

  /** The live browser session the request's cookie names, or null. */
  async current(request: FastifyRequest): Promise<Session | null> {
    const cookie = request.cookies?.[this.cookieName];
    if (!cookie || cookie.length > 128) return null;
    return this.sessions.findBrowserSession(hashOpaqueToken(cookie));
  }

  /**
   * A new browser session for a person who just proved who they are, and its
   * cookie on the reply. A different person's session this browser held ends
   * (the browser changed hands); the same person's stays for the clients
   * that use it.
   */
  async start(user: User, amr: string, clientId: string, previous: Session | null, reply: FastifyReply, request: RequestContext): Promise<Session> {
    if (previous && previous.userId !== user.id) await this.sessions.endById(previous.id);
    const cookie = mintOpaqueToken();
    const session = await this.sessions.start(user, request, { kind: 'browser', cookieHash: hashOpaqueToken(cookie), amr, authTime: new Date(), clientId });
    reply.setCookie(this.cookieName, cookie, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure, expires: session.expiresAt });
    return session;
  }

  /** The cookie removed from the browser (a logout: the session it named has ended). */
  clear(reply: FastifyReply): void {
    reply.clearCookie(this.cookieName, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure });
  }
}
