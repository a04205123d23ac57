import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { ConsoleSessionModule } from '../console-session/console-session.module.js';
import { LoginModule } from '../login/login.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { ClientRegistryModule } from '../oauth/clients/client-registry.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { AccountConsoleController } from './account-console.controller.js';
import { AccountConsoleService } from './account-console.service.js';

/** The account page (/account): the hosted-page stack over the account's own services. */
@Module({
  imports: [ConsoleSessionModule, AuthModule, LoginModule, MfaModule, SessionsModule, PasskeysModule, ClientRegistryModule, AuditModule],
  controllers: [AccountConsoleController],
  providers: [AccountConsoleService],
})
export class AccountConsoleModule {}
