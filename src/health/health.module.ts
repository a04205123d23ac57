import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { HealthController } from './health.controller.js';
import { RedisHealthIndicator } from './redis.health.js';

@Module({ imports: [TerminusModule, LifecycleModule], controllers: [HealthController], providers: [RedisHealthIndicator] })
export class HealthModule {}
