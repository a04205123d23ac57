import { DpopModule } from '../dpop/dpop.module.js';
import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CLIENT_AUTHENTICATOR } from '../access/client-authenticator.js';
import { LoginModule } from '../login/login.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { PagesModule } from '../pages/pages.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { OutboundHttpModule } from '../outbound-http/outbound-http.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthorizationCodesService } from './authorization/authorization-codes.service.js';
import { AuthorizationFlowService } from './authorization/authorization-flow.service.js';
import { AuthorizationController } from './authorization/authorization.controller.js';
import { AuthorizationService } from './authorization/authorization.service.js';
import { BrowserSessionService } from './authorization/browser-session.service.js';
import { ConsentsService } from './authorization/consents.service.js';
import { AuthorizationCode } from './authorization/entities/authorization-code.entity.js';
import { Consent } from './authorization/entities/consent.entity.js';
import { GrantsController } from './authorization/grants.controller.js';
import { PushedAuthorizationRequest } from './authorization/entities/pushed-authorization-request.entity.js';
import { PushedAuthorizationController } from './authorization/pushed-authorization.controller.js';
import { PushedAuthorizationRequestsService } from './authorization/pushed-authorization-requests.service.js';
import { BackchannelLogoutDispatcher } from './backchannel-logout/backchannel-logout.dispatcher.js';
import { BackchannelLogoutListener } from './backchannel-logout/backchannel-logout.listener.js';
import { LogoutNotification } from './backchannel-logout/entities/logout-notification.entity.js';
import { LogoutOutboxService } from './backchannel-logout/logout-outbox.service.js';
import { LogoutTokenService } from './backchannel-logout/logout-token.service.js';
import { ClientAuthenticationService } from './client-authentication/client-authentication.service.js';
import { ClientTokensListener } from './client-tokens.listener.js';
import { ClientsModule } from './clients/clients.module.js';
import { DocsClientService } from './clients/docs-client.service.js';
import { DeviceAuthorizationController } from './device/device-authorization.controller.js';
import { DeviceAuthorizationsService } from './device/device-authorizations.service.js';
import { DeviceFlowService } from './device/device-flow.service.js';
import { DeviceVerificationController } from './device/device-verification.controller.js';
import { DeviceVerificationService } from './device/device-verification.service.js';
import { DeviceAuthorization } from './device/entities/device-authorization.entity.js';
import { WellKnownController } from './discovery/well-known.controller.js';
import { AuthorizationCodeGrant } from './grants/authorization-code.grant.js';
import { ClientCredentialsGrant } from './grants/client-credentials.grant.js';
import { DeviceCodeGrant } from './grants/device-code.grant.js';
import { GRANT_HANDLERS, type GrantHandler } from './grants/grant-handler.js';
import { MfaGrant } from './grants/mfa.grant.js';
import { PasskeyGrant } from './grants/passkey.grant.js';
import { PasswordGrant } from './grants/password.grant.js';
import { RefreshTokenGrant } from './grants/refresh-token.grant.js';
import { TokenEndpointService } from './grants/token-endpoint.service.js';
import { TokenIssuer } from './grants/token-issuer.service.js';
import { EndSessionService } from './logout/end-session.service.js';
import { LogoutFlowService } from './logout/logout-flow.service.js';
import { LogoutController } from './logout/logout.controller.js';
import { IdTokensService } from './openid/id-tokens.service.js';
import { UserinfoController } from './openid/userinfo.controller.js';
import { UserinfoService } from './openid/userinfo.service.js';
import { IntrospectionService } from './introspection/introspection.service.js';
import { RefreshToken } from './refresh-tokens/entities/refresh-token.entity.js';
import { RefreshTokensService } from './refresh-tokens/refresh-tokens.service.js';
import { RevocationService } from './revocation/revocation.service.js';
import { TokenEndpointController } from './token-endpoint.controller.js';

/** Every grant the token endpoint serves: a new grant is one class and one line here. */
const GRANTS = [AuthorizationCodeGrant, RefreshTokenGrant, ClientCredentialsGrant, PasswordGrant, MfaGrant, DeviceCodeGrant, PasskeyGrant];

/**
 * The authorization server: clients, the authorization endpoint and its
 * hosted pages, RP-initiated logout, the token endpoint and its grants, revocation,
 * introspection, discovery, back-channel logout. Global for CLIENT_AUTHENTICATOR (the global
 * guard, AccessModule, authenticates clients on introspection and
 * revocation without importing this module), and for the consoles, which
 * sign in through the browser session and codes and list the consents.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([RefreshToken, AuthorizationCode, Consent, LogoutNotification, DeviceAuthorization, PushedAuthorizationRequest]), UsersModule, LoginModule, MfaModule, SessionsModule, TokensModule, ClientsModule, PagesModule, OutboundHttpModule, ThrottleModule, PasskeysModule, DpopModule],
  controllers: [TokenEndpointController, WellKnownController, AuthorizationController, GrantsController, UserinfoController, LogoutController, DeviceAuthorizationController, DeviceVerificationController, PushedAuthorizationController],
  providers: [
    ...GRANTS,
    { provide: GRANT_HANDLERS, useFactory: (...handlers: GrantHandler[]) => handlers, inject: GRANTS },
    { provide: CLIENT_AUTHENTICATOR, useExisting: ClientAuthenticationService },
    TokenEndpointService,
    TokenIssuer,
    IdTokensService,
    UserinfoService,
    RefreshTokensService,
    IntrospectionService,
    RevocationService,
    AuthorizationService,
    AuthorizationFlowService,
    AuthorizationCodesService,
    PushedAuthorizationRequestsService,
    ConsentsService,
    BrowserSessionService,
    EndSessionService,
    LogoutFlowService,
    ClientTokensListener,
    DocsClientService,
    LogoutOutboxService,
    LogoutTokenService,
    BackchannelLogoutDispatcher,
    BackchannelLogoutListener,
    DeviceAuthorizationsService,
    DeviceFlowService,
    DeviceVerificationService,
  ],
  exports: [TokenEndpointService, CLIENT_AUTHENTICATOR, BrowserSessionService, AuthorizationCodesService, ConsentsService],
})
export class OAuthModule {}
