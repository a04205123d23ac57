import { Global, Module } from '@nestjs/common';
import { DatabasePoolMetrics } from './database-pool.metrics.js';
import { MetricsService } from './metrics.service.js';

/**
 * Prometheus metrics. Global, so any module can record what it knows without
 * importing this one; it imports no feature. GET /metrics and the request
 * histogram are Fastify's (configure-app: serveMetrics, recordRequestDurations).
 */
@Global()
@Module({ providers: [MetricsService, DatabasePoolMetrics], exports: [MetricsService] })
export class MetricsModule {}
