import { Module } from '@nestjs/common';
import { ClientRegistryModule } from '../oauth/clients/client-registry.module.js';
import { LoginModule } from '../login/login.module.js';
import { MailModule } from '../mail/mail.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { PasswordPolicyModule } from '../password-policy/password-policy.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { RecoveryModule } from '../recovery/recovery.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { EmailController } from './email.controller.js';
import { EmailVerificationService } from './email-verification.service.js';
import { PasswordResetController } from './password-reset.controller.js';
import { PasswordResetService } from './password-reset.service.js';
import { SessionsController } from './sessions.controller.js';
import { TwoFactorController } from './two-factor.controller.js';
import { EmailLinkPagesController } from './email-link-pages.controller.js';

/** The account: registration, password change and reset, e-mail, two-factor, sessions. Tokens are the OAuth module's. */
@Module({
  imports: [UsersModule, PasswordsModule, PasswordPolicyModule, LoginModule, SessionsModule, ClientRegistryModule, MfaModule, MailModule, RecoveryModule, ThrottleModule],
  controllers: [AuthController, SessionsController, TwoFactorController, EmailController, PasswordResetController, EmailLinkPagesController],
  providers: [AuthService, AdminBootstrapService, EmailVerificationService, PasswordResetService],
  exports: [AuthService, EmailVerificationService],
})
export class AuthModule {}
