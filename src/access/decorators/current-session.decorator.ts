import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** The session the request's Bearer token was issued in; undefined with Basic. */
export const CurrentSessionId = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  return principal?.kind === 'person' ? principal.sessionId : undefined;
});
