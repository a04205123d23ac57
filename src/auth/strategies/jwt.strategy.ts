import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { appConfiguration, type AppConfig } from '../../config/configuration.js';
import type { User } from '../../users/entities/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { ACCESS_TOKEN_ALGORITHM, type AccessTokenPayload } from '../tokens.service.js';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(appConfiguration.KEY) config: AppConfig,
    private readonly usersService: UsersService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwt.secret,
      // Pinned: `alg: none` and any other algorithm are refused before the signature is read.
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
    });
  }

  /** The user is read on every request, so a deleted user's token, or a changed role, counts at once. */
  async validate(payload: Partial<AccessTokenPayload>): Promise<User | false> {
    // jsonwebtoken checks exp only when present: require it, and a well-formed subject.
    if (typeof payload.exp !== 'number' || typeof payload.sub !== 'string' || !/^[1-9]\d{0,15}$/.test(payload.sub)) {
      return false;
    }
    return (await this.usersService.findById(Number(payload.sub))) ?? false;
  }
}
