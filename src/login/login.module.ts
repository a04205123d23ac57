import { Module } from '@nestjs/common';
import { MfaModule } from '../mfa/mfa.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { UsersModule } from '../users/users.module.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { LoginService } from './login.service.js';
import { VerifiedCredentialsCache } from './verified-credentials.cache.js';

/** Checking passwords and second-factor codes, throttled: for the token endpoint, Basic, the hosted pages and the account routes alike. */
@Module({
  imports: [UsersModule, PasswordsModule, MfaModule, ThrottleModule],
  providers: [LoginService, LoginThrottleService, VerifiedCredentialsCache],
  exports: [LoginService, LoginThrottleService],
})
export class LoginModule {}
