import { Module, type DynamicModule } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AppConfigModule } from '../config/config.module.js';
import type { AppConfiguration } from '../config/configuration.js';
import { DatabaseModule } from '../database/database.module.js';
import { PasswordPolicyModule } from '../password-policy/password-policy.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ClientRegistryModule } from '../oauth/clients/client-registry.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';

/** What each tool works on. */
const FEATURES = {
  // npm run user:create
  users: [UsersModule, PasswordsModule, PasswordPolicyModule],
  // npm run keys:rotate
  keys: [TokensModule],
  // npm run client:create
  clients: [ClientRegistryModule],
};

/**
 * What the command-line tools need, and no more: the database, the accounts
 * password hashing and the password policy (`npm run user:create`), the signing keys
 * (`npm run keys:rotate`) or the client registry (`npm run client:create`), and the audit trail that records what they did.
 * Not the HTTP app, Redis or the admin bootstrap.
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfiguration, tool: keyof typeof FEATURES): DynamicModule {
    const feature = FEATURES[tool];
    return {
      module: CliModule,
      // The audit trail records what the tools do (accounts created, keys rotated), as the service would.
      imports: [AppConfigModule.forRoot(config), EventEmitterModule.forRoot({ wildcard: true }), DatabaseModule, MetricsModule, AuditModule, ...feature],
    };
  }
}
