import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * helmet's security headers, with a Content-Security-Policy that Swagger UI
 * works under. The middleware is built once, here: @fastify/helmet builds it
 * again for every request, which cost 7 % of the CPU of GET / in the profile.
 */
const applySecurityHeaders = helmet({
  contentSecurityPolicy: {
    directives: {
      // Swagger UI draws its icons from data: URIs; everything else is served from 'self'.
      'img-src': ["'self'", 'data:'],
      // Served over plain HTTP on a developer's machine; TLS is the proxy's business.
      'upgrade-insecure-requests': null,
    },
  },
});

/**
 * Every answer of this API is about a user (tokens, accounts, greetings) or
 * their absence: no cache may store it (RFC 9111 §5.2.2.5; RFC 6749 §5.1 asks
 * it of token responses, with Pragma for HTTP/1.0 caches). Only Swagger UI's
 * page and assets, and the public key set and metadata (which say their own
 * max-age), may be cached.
 */
function forbidCaching(url: string, response: ServerResponse): void {
  if (url.startsWith('/docs') || url.startsWith('/.well-known/')) return;
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Pragma', 'no-cache');
}

export function sendSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    forbidCaching(request.url, reply.raw);
    applySecurityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
}
