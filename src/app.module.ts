import { Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { GreetingModule } from './greeting/greeting.module.js';
import { HealthModule } from './health/health.module.js';
import { RedisModule } from './redis/redis.module.js';
import { UsersModule } from './users/users.module.js';

@Module({
  imports: [AppConfigModule, DatabaseModule, RedisModule, UsersModule, AuthModule, GreetingModule, HealthModule],
})
export class AppModule {}
