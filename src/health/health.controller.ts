import { Controller, Get, HttpException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator, type HealthIndicatorFunction } from '@nestjs/terminus';
import { Public } from '../access/decorators/public.decorator.js';
import { ShutdownService } from '../lifecycle/shutdown.service.js';
import { RedisHealthIndicator } from './redis.health.js';

/** How long a probe waits for the database's answer. */
const DATABASE_PING_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly shutdown: ShutdownService,
  ) {}

  /**
   * Each dependency is reported on its own: the database always, Redis when
   * REDIS_URL is set. Only the database decides the status: without Redis
   * the service works on from the database (issue 29), so Redis away is
   * `degraded` under `details.redis` and the answer stays 200; a liveness
   * probe on /health must not restart every instance while Redis restarts.
   */
  @Get()
  @HealthCheck()
  @ApiOperation({ operationId: 'health', summary: '200 while the database answers, 503 when it does not; Redis (if configured) is reported up or degraded' })
  async check() {
    const redis = this.redis.configured ? this.redis.check() : null;
    const database: HealthIndicatorFunction = () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS });
    try {
      const result = await this.health.check([database]);
      return redis ? { ...result, details: { ...result.details, redis: await redis } } : result;
    } catch (error) {
      if (!redis || !(error instanceof HttpException)) throw error;
      const body = error.getResponse() as { details?: Record<string, unknown> };
      throw new HttpException({ ...body, details: { ...body.details, redis: await redis } }, error.getStatus());
    }
  }

  /**
   * Readiness, for a load balancer or a Kubernetes readinessProbe: 503 from
   * the moment the process is told to stop (SIGTERM), while it still serves
   * for SHUTDOWN_DRAIN, so traffic moves away before it stops listening; and
   * 503 while the database does not answer. Redis is left out: without it
   * the service works on, from the database.
   */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ operationId: 'readiness', summary: '200 while the instance takes traffic; 503 once it is stopping (SIGTERM) or when the database does not answer' })
  ready() {
    const lifecycle = () => {
      const indicator = this.indicators.check('lifecycle');
      const { state } = this.shutdown;
      return state === 'serving' ? indicator.up({ state }) : indicator.down({ state });
    };
    // Stopping: answered at once, without waiting for the database.
    if (this.shutdown.state !== 'serving') return this.health.check([lifecycle]);
    return this.health.check([lifecycle, () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS })]);
  }
}
