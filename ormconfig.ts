import 'reflect-metadata';
import { dirname, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { AuditEvent } from './src/audit/entities/audit-event.entity.js';
import { RefreshToken } from './src/oauth/refresh-tokens/entities/refresh-token.entity.js';
import { OAuthClient } from './src/oauth/clients/entities/oauth-client.entity.js';
import { AuthorizationCode } from './src/oauth/authorization/entities/authorization-code.entity.js';
import { Consent } from './src/oauth/authorization/entities/consent.entity.js';
import { LogoutNotification } from './src/oauth/backchannel-logout/entities/logout-notification.entity.js';
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
export default new DataSource(buildDataSourceOptions(database, [User, Session, RefreshToken, SigningKey, RevokedAccessToken, AuditEvent, OAuthClient, AuthorizationCode, Consent, LogoutNotification], { forMigrations: true }));
