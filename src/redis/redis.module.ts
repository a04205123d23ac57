import { Global, Module } from '@nestjs/common';
import { RedisService } from './redis.service.js';
import { EventsBroadcastService } from './events-broadcast.service.js';

/** Redis for what several instances share (throttling, cache invalidation, revocations, key changes), when REDIS_URL is set. */
@Global()
@Module({ providers: [RedisService, EventsBroadcastService], exports: [RedisService] })
export class RedisModule {}
