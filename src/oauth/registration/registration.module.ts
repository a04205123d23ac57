import { Module, type DynamicModule } from '@nestjs/common';
import type { ClientRegistrationMode } from '../../config/configuration.js';
import { ThrottleModule } from '../../throttle/throttle.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { AdminRegistrationController, ClientConfigurationController, OpenRegistrationController } from './registration.controller.js';
import { RegistrationService } from './registration.service.js';
import { RegistrationSweeper } from './registration-sweeper.service.js';

/**
 * Dynamic client registration (RFC 7591, RFC 7592) as CLIENT_REGISTRATION
 * has it: `admin` and `open` differ in who may POST /register; with `off`
 * there are no routes (404). The sweep of unused clients runs in every mode,
 * so clients registered while registration was open still expire.
 */
@Module({})
export class RegistrationModule {
  static forRoot(mode: ClientRegistrationMode): DynamicModule {
    const controllers = mode === 'off' ? [] : [mode === 'open' ? OpenRegistrationController : AdminRegistrationController, ClientConfigurationController];
    return {
      module: RegistrationModule,
      imports: [ClientsModule, ThrottleModule],
      controllers,
      providers: [RegistrationService, RegistrationSweeper],
    };
  }
}
