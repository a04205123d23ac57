import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIGURATION } from '../config/configuration.js';
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
import { AuthenticatedGuard } from './guards/authenticated.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { jwtModuleOptions } from './jwt-options.js';
import { TokensService } from './tokens.service.js';
import { VerifiedCredentialsCache } from './verified-credentials.cache.js';

@Module({
  imports: [
    UsersModule,
    PasswordsModule,
    TypeOrmModule.forFeature([Session, RefreshToken]),
    PassportModule,
    JwtModule.registerAsync({ inject: [APP_CONFIGURATION], useFactory: jwtModuleOptions }),
  ],
  controllers: [AuthController],
  providers: [
    // In this order: who is calling, then whether their role may.
    { provide: APP_GUARD, useClass: AuthenticatedGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    AuthService, LoginThrottleService, VerifiedCredentialsCache, TokensService, RefreshTokensService, JwtStrategy, BasicStrategy, AdminBootstrapService],
  exports: [AuthService],
})
export class AuthModule {}
