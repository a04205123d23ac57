import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest as Request } from 'fastify';
import { AuthenticationFailedException } from '../../http/authentication-failed.exception.js';
import { BASIC_CHALLENGE, BEARER_CHALLENGE, INVALID_TOKEN_CHALLENGE } from '../../http/authentication-challenges.js';
import { parseBasicCredentials } from '../basic-credentials.js';

const JwtGuard = AuthGuard('jwt');
const BasicGuard = AuthGuard('basic');

/**
 * Bearer or Basic, chosen by the Authorization scheme: only one strategy runs,
 * so a 401 can say precisely what was wrong and carry the right challenges.
 */
@Injectable()
export class AuthenticatedGuard implements CanActivate {
  private readonly jwtGuard = new JwtGuard();
  private readonly basicGuard = new BasicGuard();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const authorization = context.switchToHttp().getRequest<Request>().headers.authorization;
    const scheme = authorization?.split(' ', 1)[0].toLowerCase();

    if (scheme === 'bearer') {
      return this.authenticate(this.jwtGuard, context, 'The access token is invalid or expired.', INVALID_TOKEN_CHALLENGE);
    }
    if (scheme === 'basic') {
      const credentials = parseBasicCredentials(authorization);
      if (!credentials.ok) throw this.failure(`Malformed Basic credentials: ${credentials.reason}.`, BEARER_CHALLENGE);
      return this.authenticate(this.basicGuard, context, 'Invalid username or password.', BEARER_CHALLENGE);
    }
    const message = authorization
      ? 'Unsupported authorization scheme: send a Bearer token or Basic credentials.'
      : 'Authentication required: send a Bearer token or Basic credentials.';
    throw this.failure(message, BEARER_CHALLENGE);
  }

  private async authenticate(guard: CanActivate, context: ExecutionContext, message: string, bearerChallenge: string) {
    try {
      return (await guard.canActivate(context)) as boolean;
    } catch (error) {
      if (error instanceof UnauthorizedException) throw this.failure(message, bearerChallenge);
      throw error;
    }
  }

  /** Every route behind this guard takes both schemes, so every 401 offers both. */
  private failure(message: string, bearerChallenge: string): AuthenticationFailedException {
    return new AuthenticationFailedException(message, [bearerChallenge, BASIC_CHALLENGE]);
  }
}
