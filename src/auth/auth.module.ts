import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordPolicyModule } from '../password-policy/password-policy.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { AuthController } from './auth.controller.js';
import { WellKnownController } from './well-known.controller.js';
import { AuthService } from './auth.service.js';
import { RefreshToken } from './entities/refresh-token.entity.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { SessionsController } from './sessions.controller.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { TwoFactorController } from './two-factor.controller.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { IntrospectionService } from './introspection.service.js';
import { RefreshTokensService } from './refresh-tokens.service.js';
import { BasicStrategy } from './strategies/basic.strategy.js';
import { JwtStrategy } from './strategies/jwt.strategy.js';
import { AuthenticatedGuard } from './guards/authenticated.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { VerifiedCredentialsCache } from './verified-credentials.cache.js';
import { MailModule } from '../mail/mail.module.js';
import { RecoveryModule } from '../recovery/recovery.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { EmailController } from './email.controller.js';
import { EmailVerificationService } from './email-verification.service.js';
import { PasswordResetController } from './password-reset.controller.js';
import { PasswordResetService } from './password-reset.service.js';
import { EmailLinkPagesController } from './email-link-pages.controller.js';

@Module({
  imports: [
    UsersModule,
    PasswordsModule,
    PasswordPolicyModule,
    TypeOrmModule.forFeature([RefreshToken]),
    SessionsModule,
    MfaModule,
    PassportModule,
    TokensModule,
    MailModule,
    RecoveryModule,
    ThrottleModule,
  ],
  controllers: [AuthController, SessionsController, TwoFactorController, EmailController, PasswordResetController, EmailLinkPagesController, WellKnownController],
  providers: [
    // In this order: who is calling, then whether their role may.
    { provide: APP_GUARD, useClass: AuthenticatedGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    AuthService,
    LoginThrottleService,
    VerifiedCredentialsCache,
    RefreshTokensService,
    IntrospectionService,
    JwtStrategy,
    BasicStrategy,
    AdminBootstrapService,
    EmailVerificationService,
    PasswordResetService,
  ],
})
export class AuthModule {}
