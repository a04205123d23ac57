import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';

/** The route label of a request no route matched (404s of unknown paths): one label value, whatever the path. */
const UNMATCHED_ROUTE = '(unmatched)';

/**
 * One observation per request when it completes, labelled with the route
 * template (`/users/:id`, not the path, so the label set stays small). The
 * labelled children are made once per combination and kept: the hot path does
 * a map lookup and one observe.
 */
export function recordRequestDurations(fastify: FastifyInstance, histogram: Histogram<'method' | 'route' | 'status_code'>): void {
  const children = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code'>>();
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = children.get(key);
    if (!child) children.set(key, (child = histogram.labels({ method: request.method, route, status_code: String(reply.statusCode) })));
    child.observe(reply.elapsedTime / 1000);
    done();
  });
}
