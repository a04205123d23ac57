import { Module } from '@nestjs/common';
import { RateLimitsService } from './rate-limits.service.js';

/** The rate-limit counters (in Redis when REDIS_URL is set) that the login, recovery and mail throttles are built from. */
@Module({
  providers: [RateLimitsService],
  exports: [RateLimitsService],
})
export class ThrottleModule {}
