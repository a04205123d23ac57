import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { StrategyCreatedStatic } from 'passport';
import { BasicStrategy as HttpBasicStrategy } from 'passport-http';
import type { Principal } from '../principal.js';
import { BASIC_CHALLENGE } from '../../http/authentication-challenges.js';
import { LoginService } from '../../login/login.service.js';
import type { PresentedCredentials } from '../authorization-header.js';
import { requestContextOf, type RequestContext } from '../../http/request-context.js';

@Injectable()
export class BasicStrategy extends PassportStrategy(HttpBasicStrategy, 'basic') {
  constructor(private readonly login: LoginService) {
    super({ realm: 'gatehouse' });
  }

  /**
   * The credentials come from the header AuthenticatedGuard already read
   * (by RFC 7617: passport-http 0.3 would split the password at every colon
   * and keep two parts). passport's success/fail protocol is kept.
   */
  override authenticate(request: { presentedCredentials?: PresentedCredentials; ip?: string }): void {
    // passport adds success/fail/error to each strategy object it runs.
    const passport = this as unknown as StrategyCreatedStatic;
    const presented = request.presentedCredentials;
    if (presented?.scheme !== 'basic' || !presented.credentials.ok) return passport.fail(BASIC_CHALLENGE, 401);
    const { username, password } = presented.credentials;
    // passport's types say Express; Nest hands it Fastify's request.
    this.validate(username, password, requestContextOf(request as unknown as FastifyRequest)).then(
      (user) => (user ? passport.success(user) : passport.fail(BASIC_CHALLENGE, 401)),
      (error: unknown) => passport.error(error),
    );
  }

  async validate(username: string, password: string, request: RequestContext): Promise<Principal | null> {
    const user = await this.login.authenticateBasic(username, password, request);
    return user && { kind: 'person', user };
  }
}
