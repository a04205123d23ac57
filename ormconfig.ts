import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { readDatabaseConfiguration } from './src/config/configuration.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';
import { ensureDatabaseDirectory } from './src/database/database-directory.js';

/** The DataSource of the TypeORM CLI: `npm run migration:run`, `npm run migration:generate -- <path>`. */
const database = readDatabaseConfiguration();
ensureDatabaseDirectory(database);
export default new DataSource(buildDataSourceOptions(database));
