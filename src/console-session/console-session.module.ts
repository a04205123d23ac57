import { Module } from '@nestjs/common';
import { ClientRegistryModule } from '../oauth/clients/client-registry.module.js';
import { UsersModule } from '../users/users.module.js';
import { ConsoleGuard, ConsoleSignInFilter } from './console-access.js';
import { ConsoleSessionService } from './console-session.service.js';
import { ConsoleSignInController } from './console-sign-in.controller.js';

/**
 * What both consoles (account-console/, admin-console/) stand on: the sign-in
 * through the hosted login, the guard and the fresh-sign-in rule. The browser
 * session, codes and clients are the authorization server's (OAuthModule, global).
 */
@Module({
  imports: [UsersModule, ClientRegistryModule],
  controllers: [ConsoleSignInController],
  providers: [ConsoleSessionService, ConsoleGuard, ConsoleSignInFilter],
  exports: [ConsoleSessionService, ConsoleGuard, ConsoleSignInFilter],
})
export class ConsoleSessionModule {}
