import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfiguration } from '../config/configuration.js';
import { RefreshToken } from '../auth/entities/refresh-token.entity.js';
import { Session } from '../auth/entities/session.entity.js';
import { User } from '../users/entities/user.entity.js';
import { migrations } from './migrations/index.js';

export const entities = [User, Session, RefreshToken];

/** The options shared by the app and the migration CLI (ormconfig.ts). */
export function buildDataSourceOptions(database: DatabaseConfiguration): DataSourceOptions {
  const common = { entities, migrations, synchronize: false, migrationsRun: false, logging: false } as const;
  if (database.type === 'postgres') {
    return { ...common, type: 'postgres', url: database.url, poolSize: database.poolSize };
  }
  return {
    ...common,
    type: 'sqlite',
    database: database.file,
    // WAL lets readers go on during a write; the busy timeout makes a writer wait
    // for the lock instead of failing with SQLITE_BUSY.
    enableWAL: true,
    busyTimeout: 5000,
  };
}
