import type { TokenEndpointAuthMethod } from '../clients/client-metadata.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';

/** What client authentication reads of a request: its Authorization header, and where it came from (throttling, audit). A Fastify request is one. */
export interface ClientAuthenticationRequest {
  headers: { authorization?: string; 'user-agent'?: string };
  /** The client address (Fastify's `request.ip`). */
  ip: string;
  /** The request id (Fastify's `request.id`). */
  id: string;
}

/** The form or JSON body of the request. */
export type RequestBody = Record<string, unknown>;

/** The credentials one method found in a request: the client they name, and what proves it (a secret, or an assertion). */
export interface ClientCredentials {
  clientId: string;
  secret?: string;
  /** private_key_jwt's signed client_assertion (RFC 7523 §2.2). */
  assertion?: string;
}

/** The method's credentials are there but cannot be read (bad Base64, bad form encoding, a secret without a client_id). */
export interface MalformedCredentials {
  malformed: string;
}

export type PresentedClient = ClientCredentials | MalformedCredentials;

export function isMalformed(presented: PresentedClient): presented is MalformedCredentials {
  return 'malformed' in presented;
}

/**
 * One way a client proves itself at the token endpoint
 * (`token_endpoint_auth_method`, RFC 7591 §2). Each is a class in this
 * folder, listed in CLIENT_AUTHENTICATION_METHOD_CLASSES; ClientAuthenticationService
 * asks every one what the request carries and dispatches to the one that
 * found something.
 */
export interface ClientAuthenticationMethod {
  readonly name: TokenEndpointAuthMethod;
  /**
   * Whether the method proves who the client is. `none` only names it, and
   * yields to any method that proves: a `client_id` in the body beside Basic
   * credentials is one method, not two (it must name the same client).
   */
  readonly proves: boolean;
  /** This method's credentials in the request, or null when it carries none of them. */
  read(request: ClientAuthenticationRequest, body: RequestBody): PresentedClient | null;
  /** Whether the credentials prove `client`, which is registered for this method. */
  verify(client: OAuthClient, credentials: ClientCredentials): boolean | Promise<boolean>;
}

/** The injection token of every method's instance. */
export const CLIENT_AUTHENTICATION_METHODS = Symbol('CLIENT_AUTHENTICATION_METHODS');

/**
 * A body parameter as a string, or undefined when it is absent or empty (an
 * empty `client_id` is what Swagger UI's password flow sends when no client is
 * entered: no client). Anything but a string is no credential either.
 */
export function bodyParameter(body: RequestBody, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
