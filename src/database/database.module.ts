import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { connectDatabase } from './connect-database.js';
import { runMigrations } from './run-migrations.js';
import { prepareDataDirectory } from './database-directory.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIGURATION],
      useFactory: (config: AppConfiguration) => {
        const exposed = prepareDataDirectory(config);
        if (exposed.length) {
          new Logger('DataFolder').warn(`${exposed.join(', ')}: readable by other users of this machine; chmod 700 the folder and 600 its files.`);
        }
        // connectDatabase retries by itself and ends in one line; TypeOrmModule's retries would log a stack each.
        return { ...buildDataSourceOptions(config.database), autoLoadEntities: true, toRetry: () => false };
      },
      // The schema comes from the migrations, applied at start-up, one instance at a time.
      dataSourceFactory: async (options) => {
        if (options!.type !== 'postgres') {
          const dataSource = await connectDatabase(options!);
          await runMigrations(dataSource);
          return dataSource;
        }
        // On connections of their own, without DATABASE_TIMEOUT's statement bounds: a migration may rightly take long.
        const migrator = await connectDatabase({ ...options!, extra: {}, poolSize: 2 });
        try {
          await runMigrations(migrator);
        } finally {
          await migrator.destroy();
        }
        return connectDatabase(options!);
      },
    }),
  ],
})
export class DatabaseModule {}
