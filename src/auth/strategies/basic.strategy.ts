import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { IncomingHttpHeaders } from 'node:http';
import type { StrategyCreatedStatic } from 'passport';
import { BasicStrategy as HttpBasicStrategy } from 'passport-http';
import type { User } from '../../users/entities/user.entity.js';
import { AuthService } from '../auth.service.js';
import { parseBasicCredentials } from '../basic-credentials.js';
import { BASIC_CHALLENGE } from '../../http/authentication-challenges.js';

@Injectable()
export class BasicStrategy extends PassportStrategy(HttpBasicStrategy, 'basic') {
  constructor(private readonly authService: AuthService) {
    super({ realm: 'gatehouse' });
  }

  /**
   * passport-http 0.3 splits the credentials at every colon and keeps only the
   * first two parts, which cuts a password such as "a:b:c" short. Parse by
   * RFC 7617 here instead, and keep passport's success/fail protocol.
   */
  override authenticate(request: { headers: IncomingHttpHeaders; ip?: string }): void {
    // passport adds success/fail/error to each strategy object it runs.
    const passport = this as unknown as StrategyCreatedStatic;
    const credentials = parseBasicCredentials(request.headers.authorization);
    if (!credentials.ok) return passport.fail(BASIC_CHALLENGE, 401);
    this.validate(credentials.username, credentials.password, request.ip ?? 'unknown').then(
      (user) => (user ? passport.success(user) : passport.fail(BASIC_CHALLENGE, 401)),
      (error: unknown) => passport.error(error),
    );
  }

  validate(username: string, password: string, clientAddress: string): Promise<User | null> {
    return this.authService.authenticateBasic(username, password, clientAddress);
  }
}
