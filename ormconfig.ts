import 'reflect-metadata';
import { dirname, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { AuditEvent } from './src/audit/entities/audit-event.entity.js';
import { RefreshToken } from './src/auth/entities/refresh-token.entity.js';
import { RevokedAccessToken } from './src/tokens/entities/revoked-access-token.entity.js';
import { SigningKey } from './src/tokens/entities/signing-key.entity.js';
import { Session } from './src/sessions/entities/session.entity.js';
import { loadDotEnv, readDatabaseConfiguration } from './src/config/configuration.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';
import { prepareDataDirectory } from './src/database/database-directory.js';
import { User } from './src/users/entities/user.entity.js';

/** The DataSource of the TypeORM CLI: `npm run migration:run`, `npm run migration:generate -- <path>`; DATABASE_URL may come from .env, as for the service. */
loadDotEnv();
const database = readDatabaseConfiguration();
prepareDataDirectory({ database, dataDirectory: database.type === 'sqlite' ? dirname(database.file) : resolve('data') });
export default new DataSource(buildDataSourceOptions(database, [User, Session, RefreshToken, SigningKey, RevokedAccessToken, AuditEvent]));
