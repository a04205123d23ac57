import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Where a request came from, as the audit trail records it: the client address, its user agent and the request id. */
export interface RequestContext {
  /** Fastify's `request.ip`: the peer, or the client named by X-Forwarded-For when TRUST_PROXY trusts the proxy. */
  clientAddress: string;
  userAgent: string | null;
  /** The id every response carries in X-Request-Id and the request's log line carries. */
  requestId: string;
}

export function requestContextOf(request: Pick<FastifyRequest, 'ip' | 'id' | 'headers'>): RequestContext {
  const userAgent = request.headers['user-agent'];
  return { clientAddress: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null, requestId: request.id };
}

/**
 * The RequestContext of the request a handler serves, for the services that
 * raise security events. Passed on explicitly rather than kept in
 * AsyncLocalStorage: on Node 22 that rides on async hooks, a cost every
 * request would pay, for the few routes that record anything.
 */
export const CurrentRequest = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestContext => requestContextOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
