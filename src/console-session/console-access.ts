import { Catch, ForbiddenException, Injectable, SetMetadata, UseFilters, UseGuards, applyDecorators, createParamDecorator, type ArgumentsHost, type CanActivate, type ExceptionFilter, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../access/decorators/public.decorator.js';
import { HostedPage } from '../pages/hosted-page.decorator.js';
import { ConsoleSessionService, safeReturnPath, type ConsoleVisitor } from './console-session.service.js';

/** What a non-admin sees at /admin (a 403 page): the console says whom it is for, never what is in it. */
export const ADMINS_ONLY = 'The admin console is for accounts with the admin role. Ask an admin to give your account that role, or go to your account page at /account.';

const FRESH_SIGN_IN = 'console:fresh-sign-in';
const VISITOR = Symbol('console visitor');

/** Thrown when the console needs a (fresh) sign-in: turned into a 303 to the hosted login by ConsoleSignInFilter. */
export class ConsoleSignInRequired extends Error {
  constructor(
    readonly returnTo: string,
    readonly fresh: boolean,
  ) {
    super('sign-in required');
  }
}

/**
 * Where to come back after signing in: the page asked for (a GET), or for a
 * form, the page it was on, which is its action's parent (the forms post to
 * `<page>/<action>`); the form itself is not replayed.
 */
function returnPathOf(http: FastifyRequest): string {
  const path = http.url;
  const fallback = path.startsWith('/admin') ? '/admin' : '/account';
  if (http.method === 'GET') return safeReturnPath(path, fallback);
  return safeReturnPath(path.split('?')[0].replace(/\/[^/]*$/, ''), fallback);
}

/**
 * The consoles' guard: a browser session (else the hosted login, then back),
 * for /admin the admin role (else a 403 page), and for the changes marked
 * @FreshSignIn() a sign-in within FRESH_SIGN_IN_SECONDS (else the login page
 * again, max_age=0). The role is read from the account as it is now, not as
 * it was at sign-in.
 */
@Injectable()
export class ConsoleGuard implements CanActivate {
  constructor(
    private readonly consoleSession: ConsoleSessionService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp().getRequest<FastifyRequest & { [VISITOR]?: ConsoleVisitor }>();
    const visitor = await this.consoleSession.visitor(http);
    if (!visitor) throw new ConsoleSignInRequired(returnPathOf(http), false);
    const adminOnly = this.reflector.getAllAndOverride<boolean>('console:admin', [context.getHandler(), context.getClass()]);
    if (adminOnly && visitor.user.role !== 'admin') throw new ForbiddenException(ADMINS_ONLY);
    const fresh = this.reflector.getAllAndOverride<boolean>(FRESH_SIGN_IN, [context.getHandler(), context.getClass()]);
    if (fresh && !this.consoleSession.isFresh(visitor.session)) throw new ConsoleSignInRequired(returnPathOf(http), true);
    http[VISITOR] = visitor;
    return true;
  }
}

/** The sign-in a console page needs, as a 303 to the authorization endpoint. */
@Catch(ConsoleSignInRequired)
export class ConsoleSignInFilter implements ExceptionFilter {
  constructor(private readonly consoleSession: ConsoleSessionService) {}

  async catch(exception: ConsoleSignInRequired, host: ArgumentsHost): Promise<void> {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const location = await this.consoleSession.signInLocation(reply, exception.returnTo, exception.fresh);
    reply.status(303).header('cache-control', 'no-store').header('location', location).send();
  }
}

/** A console controller: hosted pages (HTML errors, out of the OpenAPI document), open to the API's guard (the browser session is checked here), `admin` for the admin console. */
export function Console(audience: 'account' | 'admin'): ClassDecorator {
  return applyDecorators(Public(), HostedPage(), SetMetadata('console:admin', audience === 'admin'), UseGuards(ConsoleGuard), UseFilters(ConsoleSignInFilter));
}

/** A sensitive change: only within FRESH_SIGN_IN_SECONDS of a sign-in. */
export const FreshSignIn = (): MethodDecorator => SetMetadata(FRESH_SIGN_IN, true);

/** The account at the console (set by ConsoleGuard). */
export const Visitor = createParamDecorator((_data: unknown, context: ExecutionContext): ConsoleVisitor => {
  const visitor = context.switchToHttp().getRequest<{ [VISITOR]?: ConsoleVisitor }>()[VISITOR];
  if (!visitor) throw new Error('Visitor outside a @Console() controller');
  return visitor;
});
