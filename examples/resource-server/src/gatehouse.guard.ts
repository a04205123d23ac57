import { Injectable, SetMetadata, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DPOP_ALGORITHMS, DpopVerifier } from './dpop.js';
import { GatehouseService, type GatehouseClaims } from './gatehouse.service.js';

const CURRENT_TRUTH = 'gatehouse:introspect';
/** On a route that must not accept a token revoked (or whose user changed password) before its expiry: ask Gatehouse. */
export const CurrentTruth = () => SetMetadata(CURRENT_TRUTH, true);

export type RequestWithClaims = { headers: Record<string, string | string[] | undefined>; method: string; url: string; claims?: GatehouseClaims };
type Reply = { header: (name: string, value: string) => unknown };

/** RFC 6750 §3 and RFC 9449 §7.1: what a 401 offers: Bearer, and DPoP with the algorithms a proof may use. */
const challenges = (error?: string) => `Bearer${error === 'invalid_token' ? ' error="invalid_token"' : ''}, DPoP${error ? ` error="${error}"` : ''} algs="${DPOP_ALGORITHMS.join(' ')}"`;

/**
 * Every route needs a Gatehouse access token: `Bearer`, or `DPoP` with a
 * proof for a DPoP-bound token (`cnf.jkt`, RFC 9449 §7); a bound token sent
 * as Bearer is refused, else a stolen one would work. @CurrentTruth()
 * routes also ask introspection.
 */
@Injectable()
export class GatehouseGuard implements CanActivate {
  private readonly dpop = new DpopVerifier();

  constructor(
    private readonly gatehouse: GatehouseService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithClaims>();
    const reply = context.switchToHttp().getResponse<Reply>();
    const refuse = (message: string, error?: string) => {
      reply.header('WWW-Authenticate', challenges(error));
      return new UnauthorizedException(message);
    };
    const [, scheme, token] = /^(Bearer|DPoP) (\S+)$/i.exec(String(request.headers.authorization ?? '')) ?? [];
    if (!token) throw refuse('Send a Gatehouse access token: Authorization: Bearer <token>, or DPoP <token> with a DPoP proof.');
    try {
      request.claims = await this.gatehouse.verify(token);
    } catch (error) {
      throw refuse((error as Error).message, 'invalid_token');
    }
    const jkt = request.claims.cnf?.jkt;
    const dpop = scheme.toLowerCase() === 'dpop';
    if (jkt && !dpop) throw refuse('This token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof.', 'invalid_token');
    if (dpop && !jkt) throw refuse('This token is not DPoP-bound: send it as Authorization: Bearer.', 'invalid_token');
    if (jkt) {
      const proof = request.headers.dpop;
      const problem = await this.dpop.problem({ proof: typeof proof === 'string' ? proof : undefined, method: request.method, url: this.gatehouse.urlOf(request), accessToken: token, jkt });
      if (problem) throw refuse(`Invalid DPoP proof: ${problem}.`, 'invalid_dpop_proof');
    }
    if (this.reflector.get<boolean>(CURRENT_TRUTH, context.getHandler()) && !(await this.gatehouse.introspect(token)).active) {
      throw refuse('The access token is no longer active.', 'invalid_token');
    }
    return true;
  }
}
