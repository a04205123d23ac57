import type { User } from '../users/entities/user.entity.js';

/**
 * Who is calling, as the global guard established it: a person (Basic, or a
 * Bearer token of theirs, first-party or issued to a client) or a client on
 * its own behalf (a `client_credentials` token). One value on the request,
 * instead of `request.user` and side fields.
 */
export type Principal = PersonPrincipal | ClientPrincipal;

export interface PersonPrincipal {
  kind: 'person';
  user: User;
  /** The session the Bearer token was issued in; undefined with Basic. */
  sessionId?: string;
  /** The client the token was issued to (RFC 9068 `client_id`); undefined for first-party tokens and Basic. */
  clientId?: string;
  /** The token's scopes, when it was issued to a client. */
  scopes?: string[];
}

export interface ClientPrincipal {
  kind: 'client';
  clientId: string;
  scopes: string[];
}

/**
 * The scope that lets a token issued to a client act on Gatehouse's own API
 * as its person (account, sessions, admin routes by role). Without it, a
 * client's token reaches only the routes that say @ClientsAllowed(): a
 * third-party application the user signed in to must not be able to manage
 * their account, or, for an admin, everyone's.
 */
export const GATEHOUSE_API_SCOPE = 'gatehouse';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by AuthenticatedGuard on every protected route. */
    principal?: Principal;
  }
}

export const scopesOf = (scope: string | null | undefined): string[] => (scope ? scope.split(' ').filter(Boolean) : []);

/** Whether the principal may use a route of Gatehouse's own API that acts for a person. */
export function actsAsPerson(principal: Principal): principal is PersonPrincipal {
  return principal.kind === 'person' && (principal.clientId === undefined || (principal.scopes ?? []).includes(GATEHOUSE_API_SCOPE));
}
