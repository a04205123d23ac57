import { SetMetadata } from '@nestjs/common';

/**
 * The authorization server's client authentication (RFC 6749 §2.3), as the
 * global guard sees it: provided by the OAuth module under this token, so
 * that access, which every module imports, imports none of them.
 */
export const CLIENT_AUTHENTICATOR = Symbol('CLIENT_AUTHENTICATOR');

export interface ClientAuthenticator {
  /**
   * The client the request authenticates as; null when it presents no client
   * credentials (Basic of a user, when `basicMayBeUser`); throws 401
   * invalid_client for bad ones, and for a public client when
   * `confidentialOnly`.
   */
  authenticate(request: { headers: { authorization?: string } }, body: Record<string, unknown>, options?: { basicMayBeUser?: boolean; confidentialOnly?: boolean }): Promise<{ clientId: string } | null>;
}

export interface ClientAuthenticationOptions {
  /**
   * Only a client that proves itself (a secret): a public client's
   * `client_id` is no credential, since anyone may send it. Introspection
   * needs this (RFC 7662 §2.1, §4: it must not become a token scanner).
   */
  confidential?: boolean;
}

export const CLIENT_AUTHENTICATION_KEY = 'clientAuthentication';

/**
 * A route a client may call with its own credentials (introspection RFC 7662
 * §2.1, revocation RFC 7009 §2.1): the guard tries client authentication
 * first; a request without client credentials goes on as on any route.
 */
export const ClientAuthentication = (options: ClientAuthenticationOptions = {}) => SetMetadata(CLIENT_AUTHENTICATION_KEY, options);
