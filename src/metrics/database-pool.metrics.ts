import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MetricsService } from './metrics.service.js';

/** What node-postgres's Pool tells about itself. */
interface PostgresPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max: number };
}

/**
 * The PostgreSQL connection pool, read at scrape time: connections open and
 * idle, queries waiting for one, and the size (DATABASE_POOL_SIZE). SQLite has
 * one connection and no pool to report.
 */
@Injectable()
export class DatabasePoolMetrics implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    if (this.dataSource.options.type !== 'postgres') return;
    const pool = () => (this.dataSource.driver as unknown as { master: PostgresPool }).master;
    this.metrics.gaugeOf('gatehouse_database_pool_connections', 'PostgreSQL connections open (busy and idle).', () => pool().totalCount);
    this.metrics.gaugeOf('gatehouse_database_pool_idle', 'PostgreSQL connections open and idle.', () => pool().idleCount);
    this.metrics.gaugeOf('gatehouse_database_pool_waiting', 'Queries waiting for a PostgreSQL connection.', () => pool().waitingCount);
    this.metrics.gaugeOf('gatehouse_database_pool_max', 'DATABASE_POOL_SIZE: the most connections the pool opens.', () => pool().options.max);
  }
}
