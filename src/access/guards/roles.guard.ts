import { ForbiddenException, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '../../account-rules/account-rules.js';
import type { FastifyRequest } from 'fastify';
import { ROLES_KEY } from '../decorators/roles.decorator.js';
import { CLIENT_AUTHENTICATION_KEY } from '../client-authenticator.js';

export const FORBIDDEN_MESSAGE = 'You do not have permission to access this resource.';

/** Runs after AuthenticatedGuard; the role is the one just read from the database. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!roles?.length) return true;
    const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
    if (principal?.kind === 'person' && roles.includes(principal.user.role)) return true;
    // A client that authenticated itself on a route that takes client authentication (introspection) needs no role.
    if (principal?.kind === 'client' && this.reflector.getAllAndOverride<boolean>(CLIENT_AUTHENTICATION_KEY, [context.getHandler(), context.getClass()])) return true;
    throw new ForbiddenException(FORBIDDEN_MESSAGE);
  }
}
