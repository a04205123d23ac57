import { Catch, ForbiddenException, Injectable, SetMetadata, UseFilters, UseGuards, applyDecorators, createParamDecorator, type ArgumentsHost, type CanActivate, type ExceptionFilter, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../access/decorators/public.decorator.js';
import { requestContextOf } from '../http/request-context.js';
import { LoginService } from '../login/login.service.js';
import { CsrfGuard } from '../pages/csrf.js';
import { fieldsOf } from '../pages/page-params.js';
import { HostedPage } from '../pages/hosted-page.decorator.js';
import { ConsoleSessionService, safeReturnPath, type ConsoleVisitor } from './console-session.service.js';

/** What a non-admin sees at /admin (a 403 page): the console says whom it is for, never what is in it. */
export const ADMINS_ONLY = 'The admin console is for accounts with the admin role. Ask an admin to give your account that role, or go to your account page at /account.';

/** A sensitive change whose password (and code) did not check out: nothing was done. */
export const REAUTHENTICATION_REFUSED = 'Your password (or your authenticator code) is wrong: nothing was changed. Go back and type your current password again, or sign in again.';

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
 * @FreshSignIn() a sign-in within FRESH_SIGN_IN_SECONDS, or else the
 * current password typed again on the form (and, with two-factor on, a
 * code), or else the login page again (max_age=0). The role is read from the
 * account as it is now, not as it was at sign-in.
 */
@Injectable()
export class ConsoleGuard implements CanActivate {
  constructor(
    private readonly consoleSession: ConsoleSessionService,
    private readonly reflector: Reflector,
    private readonly login: LoginService,
    private readonly csrf: CsrfGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp().getRequest<FastifyRequest & { [VISITOR]?: ConsoleVisitor }>();
    const visitor = await this.consoleSession.visitor(http);
    if (!visitor) throw new ConsoleSignInRequired(returnPathOf(http), false);
    const adminOnly = this.reflector.getAllAndOverride<boolean>('console:admin', [context.getHandler(), context.getClass()]);
    if (adminOnly && visitor.user.role !== 'admin') throw new ForbiddenException(ADMINS_ONLY);
    const fresh = this.reflector.getAllAndOverride<boolean>(FRESH_SIGN_IN, [context.getHandler(), context.getClass()]);
    if (fresh && !this.consoleSession.isFresh(visitor.session)) await this.reauthenticate(context, http, visitor);
    http[VISITOR] = visitor;
    return true;
  }

  /**
   * The "ask for the password again": the form's `currentPassword`
   * (and `code` when the account has two-factor, so this is no weaker than
   * the sign-in it stands for), checked by LoginService with the login's
   * throttles and audit events. The form's CSRF token is checked first, so a
   * forged form cannot spend the account's attempts. Without a password on
   * the form: the fresh sign-in.
   */
  private async reauthenticate(context: ExecutionContext, http: FastifyRequest, { user }: ConsoleVisitor): Promise<void> {
    const { currentPassword, code } = fieldsOf(http.body);
    if (typeof currentPassword !== 'string' || !currentPassword || currentPassword.length > 1024) throw new ConsoleSignInRequired(returnPathOf(http), true);
    await this.csrf.canActivate(context);
    const request = requestContextOf(http);
    const checked = await this.login.authenticate(user.username, currentPassword, request, 'current-password');
    if (!checked || checked.id !== user.id) throw new ForbiddenException(REAUTHENTICATION_REFUSED);
    if (!checked.totpEnabled) return;
    if (typeof code !== 'string' || !code.trim() || code.length > 64 || !(await this.login.verifySecondFactor(checked, code.trim(), request, false))) throw new ForbiddenException(REAUTHENTICATION_REFUSED);
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
