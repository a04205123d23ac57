import { Module } from '@nestjs/common';
import { OutboundHttpModule } from '../../outbound-http/outbound-http.module.js';
import { ClientKeysService } from '../client-authentication/client-keys.service.js';
import { SingleUseModule } from '../../single-use/single-use.module.js';
import { ThrottleModule } from '../../throttle/throttle.module.js';
import { CLIENT_AUTHENTICATION_METHODS } from '../client-authentication/client-authentication-method.js';
import { CLIENT_AUTHENTICATION_METHOD_CLASSES } from '../client-authentication/client-authentication-methods.js';
import { ClientAuthenticationService } from '../client-authentication/client-authentication.service.js';
import { ClientRegistryModule } from './client-registry.module.js';
import { ClientsController } from './clients.controller.js';

/**
 * OAuth clients: the registry (ClientsService), its admin API (`/clients`),
 * and client authentication (ClientAuthenticationService, one class per
 * `token_endpoint_auth_method`). The grants and the authorization endpoint
 * import this module for those two services and nothing else.
 */
@Module({
  imports: [ClientRegistryModule, ThrottleModule, OutboundHttpModule, SingleUseModule],
  controllers: [ClientsController],
  providers: [
    ...CLIENT_AUTHENTICATION_METHOD_CLASSES,
    { provide: CLIENT_AUTHENTICATION_METHODS, useFactory: (...methods: unknown[]) => methods, inject: CLIENT_AUTHENTICATION_METHOD_CLASSES },
    ClientAuthenticationService,
    ClientKeysService,
  ],
  exports: [ClientRegistryModule, ClientAuthenticationService],
})
export class ClientsModule {}
