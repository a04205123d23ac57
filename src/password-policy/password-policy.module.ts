import { Module } from '@nestjs/common';
import { PasswordPolicyService } from './password-policy.service.js';
import { PwnedPasswordsService } from './pwned-passwords.service.js';

/** The rules a new password must meet (NIST SP 800-63B): for registration, password change, the CLI and the bootstrap admin. */
@Module({
  providers: [PasswordPolicyService, PwnedPasswordsService],
  exports: [PasswordPolicyService],
})
export class PasswordPolicyModule {}
