import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { DpopModule } from '../dpop/dpop.module.js';
import { LoginModule } from '../login/login.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthenticatedGuard } from './guards/authenticated.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { BasicStrategy } from './strategies/basic.strategy.js';
import { JwtStrategy } from './strategies/jwt.strategy.js';

/**
 * Who may call what: the global guards (every route needs Bearer or Basic
 * unless it says @Public(), then its roles and whether a client may reach it),
 * the strategies behind them, and the decorators routes declare it with.
 */
@Module({
  imports: [PassportModule, LoginModule, TokensModule, UsersModule, SessionsModule, DpopModule],
  providers: [
    // In this order: who is calling, then whether their role may.
    { provide: APP_GUARD, useClass: AuthenticatedGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    JwtStrategy,
    BasicStrategy,
  ],
})
export class AccessModule {}
