import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ConsoleSessionModule } from '../console-session/console-session.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { ClientRegistryModule } from '../oauth/clients/client-registry.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminConsoleController } from './admin-console.controller.js';
import { AdminConsoleService } from './admin-console.service.js';

/** The admin console (/admin): the hosted-page stack over the admin API's services. */
@Module({
  imports: [ConsoleSessionModule, UsersModule, SessionsModule, MfaModule, PasskeysModule, ClientRegistryModule, TokensModule, AuditModule],
  controllers: [AdminConsoleController],
  providers: [AdminConsoleService],
})
export class AdminConsoleModule {}
