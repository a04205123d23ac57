import { ForbiddenException, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyCsrfProtectionOptions } from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What the 403 page says: most often a form left open past a restart of the browser, or cookies turned off. */
export const CSRF_REFUSED = 'This form has expired or did not come from this site. Go back, reload the page and send it again (cookies must be on).';

/**
 * @fastify/csrf-protection's settings: the secret in a cookie of its own
 * (HttpOnly, SameSite=Lax, path /), and Secure with the __Host- prefix when
 * PUBLIC_URL is https, so neither plain HTTP nor a sibling subdomain can set
 * it (RFC 6265bis §4.1.3.2). Lax rather than Strict: a login page is reached
 * from the client's site, and a Strict cookie would be missing on that visit
 * and be replaced, failing forms open in other tabs. The token is read from
 * the form's `_csrf` field only.
 */
export function csrfOptions(publicUrl: string): FastifyCsrfProtectionOptions {
  const secure = publicUrl.startsWith('https:');
  return {
    cookieKey: secure ? '__Host-gatehouse-csrf' : 'gatehouse-csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure },
    getToken: (request) => {
      const token = (request.body as Record<string, unknown> | undefined)?._csrf;
      return typeof token === 'string' ? token : undefined;
    },
  };
}

/**
 * Refuses a form without the token of its page (403, rendered as a page on a
 * hosted page), before any pipe or handler: nothing is done for it. A guard,
 * not Fastify's onRequest hook, since the token is in the body, parsed only
 * by then. The check is @fastify/csrf-protection's own; its refusal, which it
 * would send itself, is made an exception for the error filter.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const reply = http.getResponse<FastifyReply>();
    return new Promise((resolve, reject) => {
      const refusing = Object.create(reply, { send: { value: () => reject(new ForbiddenException(CSRF_REFUSED)) } }) as FastifyReply;
      fastify.csrfProtection.call(fastify, http.getRequest<FastifyRequest>(), refusing, () => resolve(true));
    });
  }
}

/** On every POST of a hosted page: the form must carry the `_csrf` token its page was given. */
export const CsrfProtected = (): MethodDecorator & ClassDecorator => UseGuards(CsrfGuard);
