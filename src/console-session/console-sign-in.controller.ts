import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../access/decorators/public.decorator.js';
import { HostedPage } from '../pages/hosted-page.decorator.js';
import { PageRenderer } from '../pages/page-renderer.js';
import { ConsoleSessionService } from './console-session.service.js';

/**
 * The consoles' way in and back: /console/sign-in starts the hosted login
 * for a console page (`return`, `fresh=1` for a new sign-in), and
 * /console/callback is the built-in client's redirect URI.
 */
@Controller('console')
@Public()
@HostedPage()
export class ConsoleSignInController {
  constructor(
    private readonly consoleSession: ConsoleSessionService,
    private readonly pages: PageRenderer,
  ) {}

  @Get('sign-in')
  async signIn(@Query('return') returnTo: unknown, @Query('fresh') fresh: unknown, @Res() reply: FastifyReply): Promise<void> {
    const location = await this.consoleSession.signInLocation(reply, typeof returnTo === 'string' ? returnTo : '/account', fresh === '1');
    reply.status(303).header('location', location).send();
  }

  /** Anything amiss (a stale tab, a forged state, a code of another session): a 400 page with a link that starts over, never a loop of redirects. */
  @Get('callback')
  async callback(@Req() http: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = (http.query ?? {}) as { code?: unknown; state?: unknown };
    const next = await this.consoleSession.completeSignIn(http, reply, query);
    if (next) return void reply.status(303).header('location', next).send();
    await this.pages.render(
      reply,
      'message',
      { title: 'Sign-in not completed', message: 'This sign-in was started in another tab, took too long, or was cancelled. Start it again.', link: { href: '/console/sign-in?return=/account', text: 'Sign in again' } },
      { status: 400 },
    );
  }
}
