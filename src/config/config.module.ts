import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, registerAs } from '@nestjs/config';
import type { AppConfiguration } from './configuration.js';

/**
 * The configuration, read once from the environment by loadConfiguration()
 * before Nest starts (so a bad value is one line, not a stack trace), and
 * given to every module (`@Inject(APP_CONFIGURATION)`). Tests pass their own.
 */
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfiguration): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [registerAs('app', () => config)] })],
    };
  }
}
