import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AccountConsoleModule } from './account-console/account-console.module.js';
import { AdminModule } from './admin/admin.module.js';
import { AdminConsoleModule } from './admin-console/admin-console.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AccessModule } from './access/access.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ChangeFeedModule } from './change-feed/change-feed.module.js';
import { OAuthModule } from './oauth/oauth.module.js';
import { RegistrationModule } from './oauth/registration/registration.module.js';
import { AppConfigModule } from './config/config.module.js';
import type { AppConfiguration } from './config/configuration.js';
import { DatabaseModule } from './database/database.module.js';
import { GreetingModule } from './greeting/greeting.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { StrictValidationPipe } from './http/strict-validation.pipe.js';
import { PageOrApiErrorsFilter } from './pages/page-or-api-errors.filter.js';
import { PagesModule } from './pages/pages.module.js';
import { RedisModule } from './redis/redis.module.js';
import { SecurityNoticesModule } from './security-notices/security-notices.module.js';
import { UsersModule } from './users/users.module.js';

/**
 * The HTTP service. The global pipe and filter are providers, so they take
 * part in dependency injection like everything else; the guards that make
 * every route protected unless it says @Public() come with AccessModule. The
 * filter answers the API's errors as JSON (HttpErrorsFilter) and the hosted
 * pages' as HTML.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfiguration): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        // 'user.*' subscribes to every change of an account.
        EventEmitterModule.forRoot({ wildcard: true }),
        DatabaseModule,
        MetricsModule,
        PagesModule,
        RedisModule,
        ChangeFeedModule,
        UsersModule,
        AccessModule,
        AuthModule,
        OAuthModule,
        RegistrationModule.forRoot(config.clients.registration),
        AdminModule,
        AccountConsoleModule,
        AdminConsoleModule,
        GreetingModule,
        HealthModule,
        AuditModule,
        SecurityNoticesModule,
      ],
      providers: [
        { provide: APP_PIPE, useClass: StrictValidationPipe },
        { provide: APP_FILTER, useClass: PageOrApiErrorsFilter },
      ],
    };
  }
}
