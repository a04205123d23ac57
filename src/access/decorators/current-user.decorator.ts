import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { User } from '../../users/entities/user.entity.js';
import type { Principal } from '../principal.js';

/** The person the guard authenticated (loaded from the database on this request); the guard lets only persons reach routes without @ClientsAllowed(). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): User => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  if (principal?.kind !== 'person') throw new Error('CurrentUser on a route that a client may reach: read CurrentPrincipal');
  return principal.user;
});

/** Whoever the guard authenticated: a person or a client. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<FastifyRequest>().principal!,
);
