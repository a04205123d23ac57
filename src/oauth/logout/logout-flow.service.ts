import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../http/request-context.js';
import { PageRenderer } from '../../pages/page-renderer.js';
import { UsersService } from '../../users/users.service.js';
import { BrowserSessionService } from '../authorization/browser-session.service.js';
import { EndSessionService, type ValidatedLogout } from './end-session.service.js';

/**
 * The logout page's steps (RP-Initiated Logout 1.0): a request that proves
 * this browser's session ends it at once; any other asks the person first,
 * on a page whose form (CSRF-protected) carries the request back; with no
 * session there is nothing to end. Then a 303 to the registered
 * post_logout_redirect_uri with `state`, or our "signed out" page.
 */
@Injectable()
export class LogoutFlowService {
  constructor(
    private readonly endSession: EndSessionService,
    private readonly browserSessions: BrowserSessionService,
    private readonly usersService: UsersService,
    private readonly pages: PageRenderer,
  ) {}

  /**
   * The request from the application (GET, or a form POST). A cross-site POST
   * comes without the SameSite=Lax cookie, so "no session" is only believed on
   * a GET; a POST without one asks, and the confirmation, posted from our own
   * page, carries the cookie.
   */
  async start(parameters: Record<string, unknown>, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const logout = await this.endSession.validate(parameters);
    const session = await this.browserSessions.current(http);
    if (session && this.endSession.provesSession(logout.hint, session)) {
      await this.endSession.end(session, logout.client, request);
      return this.finish(logout, reply);
    }
    if (!session && http.method === 'GET') return this.finish(logout, reply);
    await this.confirmationPage(logout, session?.userId ?? null, reply);
  }

  /** The person clicked "Sign out": the request is checked again (it rode in hidden fields), and this browser's session, if any, ends. */
  async confirm(parameters: Record<string, unknown>, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const logout = await this.endSession.validate(parameters);
    const session = await this.browserSessions.current(http);
    if (session) await this.endSession.end(session, logout.client, request);
    return this.finish(logout, reply);
  }

  /** The cookie goes (the session behind it has ended, or never was); then back to the application, or our page. */
  private async finish({ redirectUri, state, client }: ValidatedLogout, reply: FastifyReply): Promise<void> {
    this.browserSessions.clear(reply);
    if (redirectUri) {
      // The URI as registered, to the letter; §3: state is passed back as a query parameter when it was sent.
      let location = redirectUri;
      if (state !== undefined) {
        const withState = new URL(redirectUri);
        withState.searchParams.append('state', state);
        location = withState.href;
      }
      reply.status(303).header('Location', location).send();
      return;
    }
    const message = client ? `You have signed out of Gatehouse. You can close this page, or go back to ${client.clientName}.` : 'You have signed out of Gatehouse. You can close this page.';
    await this.pages.render(reply, 'message', { title: 'You are signed out', message, tone: 'success' });
  }

  /** "Sign out of Gatehouse?", naming the application that asks and who is signed in; its form may end in a redirect to the application. */
  private async confirmationPage(logout: ValidatedLogout, userId: number | null, reply: FastifyReply): Promise<void> {
    const username = userId === null ? undefined : (await this.usersService.findById(userId))?.username;
    const { client } = logout;
    await this.pages.render(
      reply,
      'logout',
      { clientName: client?.clientName, clientUri: client?.clientUri, clientLogoUri: client?.logoUri, username, action: '/logout/confirm', hiddenFields: logout.parameters },
      { formActions: logout.redirectUri ? [logout.redirectUri] : [], imageSources: client?.logoUri ? [client.logoUri] : [] },
    );
  }
}
