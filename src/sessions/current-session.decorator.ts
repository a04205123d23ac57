import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by JwtStrategy: the session (login) the Bearer token was issued in. */
    accessTokenSessionId?: string;
  }
}

/** The session the request's Bearer token was issued in (set by JwtStrategy); undefined with Basic. */
export const CurrentSessionId = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined => context.switchToHttp().getRequest<FastifyRequest>().accessTokenSessionId,
);
