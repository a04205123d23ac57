import { Module } from '@nestjs/common';
import { LoginModule } from '../login/login.module.js';
import { ClientRegistryModule } from '../oauth/clients/client-registry.module.js';
import { CsrfGuard } from '../pages/csrf.js';
import { UsersModule } from '../users/users.module.js';
import { ConsoleGuard, ConsoleSignInFilter } from './console-access.js';
import { ConsoleSessionService } from './console-session.service.js';
import { ConsoleSignInController } from './console-sign-in.controller.js';

/**
 * What both consoles (account-console/, admin-console/) stand on: the sign-in
 * through the hosted login, the guard and the fresh-sign-in rule (or the
 * password typed again, checked by LoginService). The browser
 * session, codes and clients are the authorization server's (OAuthModule, global).
 */
@Module({
  imports: [UsersModule, ClientRegistryModule, LoginModule],
  controllers: [ConsoleSignInController],
  providers: [ConsoleSessionService, ConsoleGuard, ConsoleSignInFilter, CsrfGuard],
  // LoginModule too: Nest builds ConsoleGuard in each console's module, which must see LoginService.
  exports: [ConsoleSessionService, ConsoleGuard, ConsoleSignInFilter, CsrfGuard, LoginModule],
})
export class ConsoleSessionModule {}
