import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * helmet's security headers, with a Content-Security-Policy that Swagger UI
 * works under.
 */
const helmetMiddleware = helmet({
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
 * The headers helmet sets, read once by running it against a recording
 * response. With no per-request directive (no nonce), they are the same for
 * every request; setting them as constants saves the middleware's work on
 * each one (9 % of GET /'s CPU in the profile).
 */
function readHelmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  let called = false;
  helmetMiddleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => (called = true));
  // helmet is synchronous today; if it ever were not, the headers read here would be incomplete.
  if (!called) throw new Error('helmet did not finish synchronously');
  return headers;
}

/**
 * Every answer of this API is about a user (tokens, accounts, greetings) or
 * their absence: no cache may store it (RFC 9111 §5.2.2.5; RFC 6749 §5.1 asks
 * it of token responses, with Pragma for HTTP/1.0 caches). Only Swagger UI's
 * page and assets, and the public key set and metadata (which say their own
 * max-age), may be cached.
 */
const CACHEABLE_HEADERS = readHelmetHeaders();
const UNCACHEABLE_HEADERS = { ...CACHEABLE_HEADERS, 'cache-control': 'no-store', pragma: 'no-cache' };

function isCacheable(url: string): boolean {
  return url.startsWith('/docs') || url.startsWith('/.well-known/');
}

export function sendSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(isCacheable(request.url) ? CACHEABLE_HEADERS : UNCACHEABLE_HEADERS);
    done();
  });
}
