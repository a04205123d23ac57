import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RegistrationService, type ManagedClient } from './registration.service.js';

const MANAGED = Symbol('managed client');
type WithManaged = FastifyRequest & { [MANAGED]?: ManagedClient; params: { client_id?: string } };

/**
 * RFC 7592 §2: the registration access token (Bearer) must be the client's,
 * checked before the body is (a guard runs before the pipes), so a request
 * without it is 401 invalid_token whatever it sends.
 */
@Injectable()
export class RegistrationTokenGuard implements CanActivate {
  constructor(private readonly registration: RegistrationService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WithManaged>();
    request[MANAGED] = await this.registration.managed(request.params.client_id ?? '', request.headers.authorization);
    return true;
  }
}

/** The client (and its token) RegistrationTokenGuard let through. */
export const Managed = createParamDecorator((_data: unknown, context: ExecutionContext): ManagedClient => context.switchToHttp().getRequest<WithManaged>()[MANAGED]!);
