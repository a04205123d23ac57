import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A route open to browser code from any origin: its path, and the methods it answers. */
export interface AnyOriginRoute {
  /** The path exactly, or a pattern for one with a parameter (`/register/{client_id}`). */
  path: string | RegExp;
  methods: string[];
}

/** What a browser client sends: Bearer tokens, JSON or form bodies, and (later) DPoP proofs. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, DPoP';
/** What it may read: the request id, the challenge of a 401, the wait of a 429, a DPoP nonce. */
const EXPOSED_HEADERS = 'X-Request-Id, WWW-Authenticate, Retry-After, DPoP-Nonce';
const MAX_AGE_SECONDS = '600';

function routeOf(routes: AnyOriginRoute[], request: FastifyRequest): AnyOriginRoute | undefined {
  const path = request.url.split('?', 1)[0];
  return routes.find((route) => (typeof route.path === 'string' ? route.path === path : route.path.test(path)));
}

function allowAnyOrigin(reply: FastifyReply): void {
  // `*` and never credentials: these routes authenticate with what the request carries (a token, client credentials), never a cookie.
  reply.header('access-control-allow-origin', '*');
  reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  // helmet's same-origin would keep a no-cors read of the answer from other sites; these answers are meant for them.
  reply.header('cross-origin-resource-policy', 'cross-origin');
}

/**
 * OAUTH.md: discovery, JWKS, registration, token, revocation and userinfo
 * answer CORS requests from any origin (browser-based clients: single-page
 * apps, MCP clients in a browser); nothing else does. These hooks answer the
 * preflight of those routes themselves, and mark their answers, whatever
 * CORS_ORIGINS says for the rest of the API (they are added before it, and
 * the mark after it). A request without Origin is not CORS and gets nothing.
 */
export function answerCorsFromAnyOrigin(fastify: FastifyInstance, routes: AnyOriginRoute[]): void {
  // Callback hooks, not async ones: they run on every request, and an async hook costs a promise each time.
  fastify.addHook('onRequest', (request, reply, done) => {
    const route = request.method === 'OPTIONS' && request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined ? routeOf(routes, request) : undefined;
    if (!route) return done();
    allowAnyOrigin(reply);
    reply.header('access-control-allow-methods', route.methods.join(', '));
    reply.header('access-control-allow-headers', ALLOWED_HEADERS);
    reply.header('access-control-max-age', MAX_AGE_SECONDS);
    reply.header('vary', 'Origin');
    // The preflight is answered here: done() is not called, so the request goes no further.
    void reply.code(204).send();
  });
  fastify.addHook('onSend', (request, reply, _payload, done) => {
    if (request.headers.origin !== undefined && routeOf(routes, request)) {
      allowAnyOrigin(reply);
      reply.removeHeader('access-control-allow-credentials');
    }
    done();
  });
}
