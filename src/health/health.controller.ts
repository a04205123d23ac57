import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator, type HealthIndicatorFunction } from '@nestjs/terminus';
import { Public } from '../access/decorators/public.decorator.js';
import { RedisHealthIndicator } from './redis.health.js';

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** Each dependency is reported on its own: the database always, Redis when REDIS_URL is set. */
  @Get()
  @HealthCheck()
  @ApiOperation({ operationId: 'health', summary: '200 when every dependency answers (database, Redis if configured), 503 when one does not' })
  check() {
    const checks: HealthIndicatorFunction[] = [() => this.database.pingCheck('database', { timeout: 2000 })];
    if (this.redis.configured) checks.push(() => this.redis.pingCheck('redis'));
    return this.health.check(checks);
  }
}
