import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Longer user agents are cut here: they are for a person to recognise a device, not evidence. */
const MAX_USER_AGENT_LENGTH = 512;

/** Who is calling, as far as the connection tells: the client address (TRUST_PROXY decides which) and the user agent. */
export interface ClientContext {
  address: string;
  userAgent: string | null;
}

export function clientContextOf(request: FastifyRequest): ClientContext {
  const userAgent = request.headers['user-agent'];
  return { address: request.ip, userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null };
}

/** The caller's ClientContext, as a route parameter. */
export const Client = createParamDecorator((_data: unknown, context: ExecutionContext): ClientContext => clientContextOf(context.switchToHttp().getRequest<FastifyRequest>()));
