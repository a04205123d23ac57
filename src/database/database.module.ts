import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { appConfiguration, type AppConfig } from '../config/configuration.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { ensureDatabaseDirectory } from './database-directory.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [appConfiguration.KEY],
      useFactory: (config: AppConfig) => {
        ensureDatabaseDirectory(config.database);
        // The schema comes from the migrations, applied at start-up.
        return { ...buildDataSourceOptions(config.database), migrationsRun: true, retryAttempts: 3 };
      },
    }),
  ],
})
export class DatabaseModule {}
