import { SetMetadata } from '@nestjs/common';

/**
 * The authorization server's client authentication (RFC 6749 §2.3), as the
 * global guard sees it: provided by the OAuth module under this token, so
 * that access, which every module imports, imports none of them.
 */
export const CLIENT_AUTHENTICATOR = Symbol('CLIENT_AUTHENTICATOR');

export interface ClientAuthenticator {
  /** The client the request authenticates as; null when it presents no client credentials (Basic of a user, when `basicMayBeUser`); throws 401 invalid_client for bad ones. */
  authenticate(request: { headers: { authorization?: string } }, body: Record<string, unknown>, options?: { basicMayBeUser?: boolean }): Promise<{ clientId: string; tokenEndpointAuthMethod: string } | null>;
}

export const CLIENT_AUTHENTICATION_KEY = 'clientAuthentication';

/**
 * A route a client may call with its own credentials (introspection RFC 7662
 * §2.1, revocation RFC 7009 §2.1): the guard tries client authentication
 * first; a request without client credentials goes on as on any route.
 */
export const ClientAuthentication = () => SetMetadata(CLIENT_AUTHENTICATION_KEY, true);
