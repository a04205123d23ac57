import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClientsService } from './clients.service.js';
import { OAuthClient } from './entities/oauth-client.entity.js';

/**
 * The registry alone: the entity and ClientsService, over the database. What
 * the CLI boots (`npm run client:create`), without HTTP, throttling or Redis;
 * the app gets it through ClientsModule.
 */
@Module({
  imports: [TypeOrmModule.forFeature([OAuthClient])],
  providers: [ClientsService],
  exports: [ClientsService],
})
export class ClientRegistryModule {}
