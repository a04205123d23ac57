import { Inject, Injectable, Optional, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest as Request } from 'fastify';
import { AuthenticationFailedException } from '../../http/authentication-failed.exception.js';
import { BASIC_CHALLENGE, BEARER_CHALLENGE, INVALID_TOKEN_CHALLENGE } from '../../http/authentication-challenges.js';
import { readAuthorizationHeader } from '../authorization-header.js';
import { DPOP_CHALLENGE, dpopChallenge } from '../dpop-challenges.js';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator.js';
import { CLIENTS_ALLOWED_KEY } from '../decorators/clients-allowed.decorator.js';
import { actsAsPerson, GATEHOUSE_API_SCOPE } from '../principal.js';
import { CLIENT_AUTHENTICATION_KEY, CLIENT_AUTHENTICATOR, type ClientAuthenticationOptions, type ClientAuthenticator } from '../client-authenticator.js';
import { InsufficientScopeException } from '../../http/insufficient-scope.exception.js';

const JwtGuard = AuthGuard('jwt');
const BasicGuard = AuthGuard('basic');

/**
 * The global guard (APP_GUARD): every route needs Bearer or Basic unless it is
 * @Public(). It reads the Authorization header once, keeps what it found on the
 * request for the strategy of that scheme, and runs only that strategy, so a
 * 401 can say precisely what was wrong and carry the right challenges.
 */
@Injectable()
export class AuthenticatedGuard implements CanActivate {
  // The strategies' result lands on request.principal (passport's `property`), not request.user.
  private readonly jwtGuard = new JwtGuard({ property: 'principal' });
  private readonly basicGuard = new BasicGuard({ property: 'principal' });

  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(CLIENT_AUTHENTICATOR) private readonly clients?: ClientAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const clientAuthentication = this.reflector.getAllAndOverride<ClientAuthenticationOptions | undefined>(CLIENT_AUTHENTICATION_KEY, [context.getHandler(), context.getClass()]);
    if (this.clients && clientAuthentication) {
      // Basic of a user (role service or admin) still works here for existing installs.
      const client = await this.clients.authenticate(request, (request.body ?? {}) as Record<string, unknown>, { basicMayBeUser: true, confidentialOnly: clientAuthentication.confidential });
      if (client) {
        request.principal = { kind: 'client', clientId: client.clientId, scopes: [] };
        return true;
      }
    }
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const presented = (request.presentedCredentials = readAuthorizationHeader(request.headers.authorization));

    switch (presented.scheme) {
      case 'bearer':
        await this.authenticate(this.jwtGuard, context, 'The access token is invalid or expired.', INVALID_TOKEN_CHALLENGE);
        return this.mayReach(context, request);
      case 'dpop':
        await this.authenticate(this.jwtGuard, context, 'The access token is invalid or expired.', BEARER_CHALLENGE, dpopChallenge('invalid_token'));
        return this.mayReach(context, request);
      case 'basic':
        if (!presented.credentials.ok) throw this.failure(`Malformed Basic credentials: ${presented.credentials.reason}.`, BEARER_CHALLENGE);
        return this.authenticate(this.basicGuard, context, 'Invalid username or password.', BEARER_CHALLENGE);
      case 'unsupported':
        throw this.failure('Unsupported authorization scheme: send a Bearer token, a DPoP-bound token (DPoP) or Basic credentials.', BEARER_CHALLENGE);
      case 'none':
        throw this.failure('Authentication required: send a Bearer token or Basic credentials.', BEARER_CHALLENGE);
    }
  }

  /** A client's token reaches only @ClientsAllowed() routes, unless it lets its person act on Gatehouse's API. */
  private mayReach(context: ExecutionContext, request: Request): boolean {
    if (actsAsPerson(request.principal!)) return true;
    if (this.reflector.getAllAndOverride<boolean>(CLIENTS_ALLOWED_KEY, [context.getHandler(), context.getClass()])) return true;
    // A client's own token (client_credentials) where a client may authenticate itself: introspection.
    if (request.principal!.kind === 'client' && this.reflector.getAllAndOverride<boolean>(CLIENT_AUTHENTICATION_KEY, [context.getHandler(), context.getClass()])) return true;
    throw new InsufficientScopeException(
      request.principal!.kind === 'client'
        ? 'This route acts for a person: a client_credentials token cannot use it.'
        : `This route acts on the account: the token needs the "${GATEHOUSE_API_SCOPE}" scope.`,
    );
  }

  private async authenticate(guard: CanActivate, context: ExecutionContext, message: string, bearerChallenge: string, dpop = DPOP_CHALLENGE) {
    try {
      return (await guard.canActivate(context)) as boolean;
    } catch (error) {
      // A refusal that names its own reason (Basic for an account with two-factor) keeps it.
      if (error instanceof AuthenticationFailedException) throw error;
      if (error instanceof UnauthorizedException) throw this.failure(message, bearerChallenge, dpop);
      throw error;
    }
  }

  /** Every protected route takes every scheme, so every 401 offers them all (RFC 9449 §7.1: `DPoP` with the algorithms a proof may use). */
  private failure(message: string, bearerChallenge: string, dpop = DPOP_CHALLENGE): AuthenticationFailedException {
    return new AuthenticationFailedException(message, [bearerChallenge, dpop, BASIC_CHALLENGE]);
  }
}
