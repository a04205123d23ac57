import { Injectable, SetMetadata, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GatehouseService, type GatehouseClaims } from './gatehouse.service.js';

const CURRENT_TRUTH = 'gatehouse:introspect';
/** On a route that must not accept a token revoked (or whose user changed password) before its expiry: ask Gatehouse. */
export const CurrentTruth = () => SetMetadata(CURRENT_TRUTH, true);

export type RequestWithClaims = { headers: Record<string, string | string[] | undefined>; claims?: GatehouseClaims };

/** Every route needs a Gatehouse access token (Bearer); @CurrentTruth() routes also ask introspection. */
@Injectable()
export class GatehouseGuard implements CanActivate {
  constructor(
    private readonly gatehouse: GatehouseService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithClaims>();
    const token = /^Bearer (\S+)$/i.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!token) throw new UnauthorizedException('Send a Gatehouse access token: Authorization: Bearer <token>.');
    request.claims = await this.gatehouse.verify(token);
    if (this.reflector.get<boolean>(CURRENT_TRUTH, context.getHandler()) && !(await this.gatehouse.introspect(token)).active) {
      throw new UnauthorizedException('The access token is no longer active.');
    }
    return true;
  }
}
