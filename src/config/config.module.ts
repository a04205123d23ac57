import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfiguration } from './configuration.js';

/** Typed, validated configuration for every module (`@Inject(appConfiguration.KEY)`). */
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [appConfiguration] })],
})
export class AppConfigModule {}
