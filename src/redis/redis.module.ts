import { Global, Module } from '@nestjs/common';
import { RedisService } from './redis.service.js';
import { UserChangesBroadcastService } from './user-changes-broadcast.service.js';

/** Redis for what several instances share (throttling, cache invalidation), when REDIS_URL is set. */
@Global()
@Module({ providers: [RedisService, UserChangesBroadcastService], exports: [RedisService] })
export class RedisModule {}
