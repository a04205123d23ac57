import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { RefreshToken } from './entities/refresh-token.entity.js';
import { Session } from './entities/session.entity.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { RefreshTokensService } from './refresh-tokens.service.js';
import { BasicStrategy } from './strategies/basic.strategy.js';
import { JwtStrategy } from './strategies/jwt.strategy.js';
import { TokensService } from './tokens.service.js';
import { VerifiedCredentialsCache } from './verified-credentials.cache.js';

@Module({
  imports: [
    UsersModule,
    PasswordsModule,
    TypeOrmModule.forFeature([Session, RefreshToken]),
    PassportModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIGURATION],
      useFactory: (config: AppConfiguration) => ({ secret: config.jwt.secret }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, LoginThrottleService, VerifiedCredentialsCache, TokensService, RefreshTokensService, JwtStrategy, BasicStrategy, AdminBootstrapService],
  exports: [AuthService],
})
export class AuthModule {}
