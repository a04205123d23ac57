import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import type { Role } from '../account-rules/account-rules.js';
import type { User } from '../users/entities/user.entity.js';

export interface AccessTokenPayload {
  sub: string;
  username: string;
  role: Role;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
  jti: string;
}

export interface SignedAccessToken {
  accessToken: string;
  expiresIn: number;
}

/** Signs access tokens with JwtModule's options (jwt-options.ts); JwtStrategy verifies them with the same. */
@Injectable()
export class TokensService {
  constructor(
    private readonly jwtService: JwtService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  async signAccessToken(user: User): Promise<SignedAccessToken> {
    const accessToken = await this.jwtService.signAsync({ username: user.username, role: user.role }, { subject: String(user.id), jwtid: randomUUID() });
    return { accessToken, expiresIn: this.config.jwt.accessTokenTtlSeconds };
  }
}
