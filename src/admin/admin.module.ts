import { Module } from '@nestjs/common';
import { ClientRegistryModule } from '../oauth/clients/client-registry.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { KeysController } from './keys.controller.js';
import { UsersController } from './users.controller.js';

/**
 * Management for admins: accounts (`/users`, over UsersService, and their sessions and passkeys) and signing keys (`/keys`).
 * Apart from the accounts themselves (users/), so that auth/ can depend on
 * users/ while these routes depend on auth/'s access decorators, with no loop.
 */
@Module({
  imports: [UsersModule, TokensModule, SessionsModule, ClientRegistryModule, PasskeysModule],
  controllers: [UsersController, KeysController],
})
export class AdminModule {}
