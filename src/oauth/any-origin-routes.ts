import type { ClientRegistrationMode } from '../config/configuration.js';
import type { AnyOriginRoute } from '../http/any-origin-cors.js';
import { REGISTRATION_PATH } from './registration/registration.service.js';

/**
 * OAUTH.md ("Clients"): the routes browser-based clients call from their own
 * origin — discovery, JWKS, registration (and RFC 7592 management), token,
 * revocation, userinfo. Everything else (the account API, the admin API,
 * the hosted pages) stays same-origin unless CORS_ORIGINS lists an origin.
 */
export function anyOriginRoutes(registration: ClientRegistrationMode): AnyOriginRoute[] {
  const registrationRoutes: AnyOriginRoute[] = [
    { path: REGISTRATION_PATH, methods: ['POST'] },
    { path: new RegExp(`^${REGISTRATION_PATH}/[A-Za-z0-9_-]{1,64}$`), methods: ['GET', 'PUT', 'DELETE'] },
  ];
  return [
    { path: '/.well-known/openid-configuration', methods: ['GET'] },
    { path: '/.well-known/oauth-authorization-server', methods: ['GET'] },
    { path: '/.well-known/jwks.json', methods: ['GET'] },
    // CLIENT_REGISTRATION=off: there is no such route to open.
    ...(registration === 'off' ? [] : registrationRoutes),
    { path: '/auth/token', methods: ['POST'] },
    { path: '/auth/revoke', methods: ['POST'] },
    { path: '/auth/userinfo', methods: ['GET', 'POST'] },
  ];
}
