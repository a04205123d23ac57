import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { MetricsService } from './metrics.service.js';

const UNAUTHORIZED = {
  statusCode: 401,
  message: 'GET /metrics requires the METRICS_TOKEN as a Bearer token.',
  error: 'Unauthorized',
};

/** Both sides hashed first, so the comparison takes the same time whatever the length or content of what was sent. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function presentsToken(authorization: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer +(\S+)$/i.exec(authorization ?? '');
  return timingSafeEqual(digest(match?.[1] ?? ''), expected);
}

/**
 * GET /metrics in Prometheus's text format, for a scraper that sends the
 * METRICS_TOKEN as its bearer token. A Fastify route rather than a Nest
 * controller: it is not part of the JSON API (no OpenAPI operation), and its
 * token is no account's credential, so the account guards have nothing to say.
 */
export function serveMetrics(fastify: FastifyInstance, metrics: MetricsService, token: string): void {
  const expected = digest(token);
  fastify.get('/metrics', async (request, reply) => {
    if (!presentsToken(request.headers.authorization, expected)) {
      return reply.code(401).header('WWW-Authenticate', 'Bearer realm="gatehouse-metrics"').send(UNAUTHORIZED);
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
