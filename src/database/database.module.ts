import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { appConfiguration, type AppConfig } from '../config/configuration.js';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options.js';
import { runMigrations } from './run-migrations.js';
import { ensureDatabaseDirectory } from './database-directory.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [appConfiguration.KEY],
      useFactory: (config: AppConfig) => {
        ensureDatabaseDirectory(config.database);
        return { ...buildDataSourceOptions(config.database), retryAttempts: 3 };
      },
      // The schema comes from the migrations, applied at start-up, one instance at a time.
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        await runMigrations(dataSource);
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
