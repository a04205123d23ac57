import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { AuthorizationCodesService, verifierMatches } from '../oauth/authorization/authorization-codes.service.js';
import { BrowserSessionService } from '../oauth/authorization/browser-session.service.js';
import { ClientsService } from '../oauth/clients/clients.service.js';
import type { Session } from '../sessions/entities/session.entity.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { mintOpaqueToken } from '../tokens/opaque-token.js';
import { createHash } from 'node:crypto';

/** The built-in client the consoles sign in through: public, first-party (no consent), Gatehouse's own pages. */
export const CONSOLE_CLIENT_ID = 'gatehouse-console';

/** How recent a sign-in must be for an admin's change (OIDC Core §3.1.2.1 `max_age` style): 5 minutes, like adding a passkey. */
export const FRESH_SIGN_IN_SECONDS = 300;

/** Where a console sign-in may return: a path of one of the consoles, nothing else (no open redirect). */
const RETURN_PATH = /^\/(account|admin)(\/[A-Za-z0-9._~%\-/]*)?(\?[A-Za-z0-9._~%\-=&+]*)?$/;

/** The pending sign-in, in a cookie of its own for /console: the state and PKCE verifier of the authorization request, and where to go back. */
interface PendingSignIn {
  state: string;
  verifier: string;
  returnTo: string;
}

/** Who is at a console: the account and the browser session that proves it. */
export interface ConsoleVisitor {
  user: User;
  session: Session;
}

export const safeReturnPath = (path: unknown, fallback = '/account'): string => (typeof path === 'string' && path.length <= 512 && RETURN_PATH.test(path) ? path : fallback);

/**
 * The consoles' sign-in: the browser session of the hosted login (the one
 * cookie every hosted page knows), reached through the authorization endpoint
 * like any application, with PKCE, state and the built-in client
 * `gatehouse-console`. So there is one login, with its throttles, second
 * factor, passkeys and audit; the console only checks, at its callback, that
 * the code it receives was issued to this browser session for its own request,
 * and spends it. A fresh sign-in for an admin's change is `max_age=0`.
 */
@Injectable()
export class ConsoleSessionService {
  private readonly secure: boolean;
  private readonly pendingCookie: string;

  constructor(
    private readonly browserSessions: BrowserSessionService,
    private readonly users: UsersService,
    private readonly clients: ClientsService,
    private readonly codes: AuthorizationCodesService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {
    this.secure = config.publicUrl.startsWith('https:');
    this.pendingCookie = this.secure ? '__Secure-gatehouse-console' : 'gatehouse-console';
  }

  /** The account signed in in this browser, or null (no cookie, an ended session, a deleted account). */
  async visitor(http: FastifyRequest): Promise<ConsoleVisitor | null> {
    const session = await this.browserSessions.current(http);
    if (!session) return null;
    const user = await this.users.findById(session.userId);
    return user ? { user, session } : null;
  }

  /** Whether the session's sign-in (not its last use) is recent enough for a sensitive change. */
  isFresh(session: Session): boolean {
    return Date.now() - (session.authTime ?? session.createdAt).getTime() <= FRESH_SIGN_IN_SECONDS * 1000;
  }

  /**
   * What a sensitive form must carry instead of a fresh sign-in (ConsoleGuard
   * checks it): nothing while the sign-in is fresh, else the current password,
   * and a code too when the account has two-factor on.
   */
  reauthentication({ user, session }: ConsoleVisitor): 'password' | 'password-and-code' | null {
    if (this.isFresh(session)) return null;
    return user.totpEnabled ? 'password-and-code' : 'password';
  }

  /** The authorization request that signs in (again, with `fresh`) and comes back to `returnTo`; its state and verifier go in the pending cookie. */
  async signInLocation(reply: FastifyReply, returnTo: string, fresh: boolean): Promise<string> {
    const redirectUri = await this.ensureClient();
    const pending: PendingSignIn = { state: mintOpaqueToken(), verifier: mintOpaqueToken(), returnTo: safeReturnPath(returnTo) };
    reply.setCookie(this.pendingCookie, Buffer.from(JSON.stringify(pending)).toString('base64url'), { path: '/console', httpOnly: true, sameSite: 'lax', secure: this.secure, maxAge: 600 });
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: CONSOLE_CLIENT_ID,
      redirect_uri: redirectUri,
      scope: 'openid',
      state: pending.state,
      code_challenge: createHash('sha256').update(pending.verifier, 'ascii').digest('base64url'),
      code_challenge_method: 'S256',
      ...(fresh ? { max_age: '0' } : {}),
    });
    return `/authorize?${query}`;
  }

  /**
   * The callback: the state of this browser's pending request (RFC 6749
   * §10.12), a code for the console's client and redirect URI whose PKCE
   * challenge is this request's, issued to the browser session this browser
   * holds; the code is spent. Returns where to go on, or null when any of
   * that fails (the caller starts over).
   */
  async completeSignIn(http: FastifyRequest, reply: FastifyReply, query: { code?: unknown; state?: unknown }): Promise<string | null> {
    const pending = this.pendingOf(http);
    reply.clearCookie(this.pendingCookie, { path: '/console', httpOnly: true, sameSite: 'lax', secure: this.secure });
    if (!pending || typeof query.code !== 'string' || query.state !== pending.state || query.code.length > 128) return null;
    const code = await this.codes.find(query.code);
    const session = await this.browserSessions.current(http);
    if (!code || !session || code.clientId !== CONSOLE_CLIENT_ID || code.redirectUri !== this.redirectUri() || code.browserSessionId !== session.id) return null;
    if (!verifierMatches(pending.verifier, code.codeChallenge)) return null;
    const spent = await this.codes.redeem(code, session.id);
    return spent.ok ? pending.returnTo : null;
  }

  private pendingOf(http: FastifyRequest): PendingSignIn | null {
    const cookie = http.cookies?.[this.pendingCookie];
    if (!cookie || cookie.length > 1024) return null;
    try {
      const value = JSON.parse(Buffer.from(cookie, 'base64url').toString('utf8')) as Partial<PendingSignIn>;
      if (typeof value.state !== 'string' || typeof value.verifier !== 'string') return null;
      return { state: value.state, verifier: value.verifier, returnTo: safeReturnPath(value.returnTo) };
    } catch {
      return null;
    }
  }

  private redirectUri(): string {
    return `${this.config.publicUrl}/console/callback`;
  }

  /** The built-in client, registered on first use: by then PUBLIC_URL is settled, even with PORT=0. */
  private async ensureClient(): Promise<string> {
    const redirectUri = this.redirectUri();
    await this.clients.ensureBuiltIn(CONSOLE_CLIENT_ID, {
      clientName: `${this.config.pages.brand.name} account`,
      redirectUris: [redirectUri],
      grantTypes: ['authorization_code'],
      tokenEndpointAuthMethod: 'none',
      scope: 'openid',
      skipConsent: true,
    });
    return redirectUri;
  }
}
