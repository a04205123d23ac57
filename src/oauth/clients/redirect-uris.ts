import { addressAllowed, ipLiteralOf, type AddressPolicy } from '../../outbound-http/address-policy.js';
import type { ApplicationType, TokenEndpointAuthMethod } from './client-metadata.js';

/** Longest URI kept (redirect, logo, resource…): far above any real one, and bounded before it is parsed or stored. */
export const MAX_URI_LENGTH = 2000;

/** The hosts on which `http://` is allowed: the machine the browser runs on (RFC 8252 §7.3, OAuth 2.1 §2.3.1). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Spaces, controls, backslashes: a URI with them is read differently by different parsers. */
const UNSAFE_CHARACTER = /[\s\p{Cc}\p{Cf}\\]/u;

/**
 * Why `uri` cannot be a redirect URI (or a post-logout redirect URI) of a
 * client of `applicationType`, or null. Registered URIs are later compared as
 * exact strings (RFC 9700 §4.1.3), so the rules are about what may be
 * registered at all: an absolute URI without fragment (RFC 6749 §3.1.2) or
 * wildcard; `https`, or `http` only on a loopback host; or, for native apps,
 * a private-use scheme named after a domain the app controls (RFC 8252 §7.1,
 * `com.example.app:/callback`). No user information (`good@evil`), which
 * only serves to mislead a reader.
 */
export function redirectUriProblem(uri: unknown, applicationType: ApplicationType): string | null {
  if (typeof uri !== 'string' || uri.length === 0) return 'must be a non-empty string';
  if (uri.length > MAX_URI_LENGTH) return `must be at most ${MAX_URI_LENGTH} characters`;
  if (UNSAFE_CHARACTER.test(uri)) return 'must not contain spaces, control characters or backslashes';
  if (uri.includes('#')) return 'must not contain a fragment (#)';
  if (uri.includes('*')) return 'must not contain a wildcard (*): redirect URIs are compared as exact strings';
  const url = absoluteUrl(uri);
  if (!url) return 'must be an absolute URI';
  if (url.username || url.password) return 'must not contain user information (user@host)';
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'https') return /^https:\/\/[^/]/i.test(uri) ? null : 'must be https://host/…';
  if (scheme === 'http') {
    return /^http:\/\/[^/]/i.test(uri) && LOOPBACK_HOSTS.has(url.hostname) ? null : 'must use https; http only on a loopback host (127.0.0.1, [::1], localhost)';
  }
  if (applicationType !== 'native') return 'must use https (a private-use scheme such as com.example.app:/callback is only for application_type native)';
  // RFC 8252 §7.1: a reverse domain name, so javascript:, data:, file: and the like are never one.
  if (!/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return 'must use https, http on a loopback host, or a private-use scheme named after a reverse domain name, such as com.example.app:/callback (RFC 8252 §7.1)';
  return null;
}

/** Why `uri` cannot be a logo or home page of a client (shown on the login and consent pages), or null: https, or http on a loopback host. */
export function webUriProblem(uri: unknown): string | null {
  return redirectUriProblem(uri, 'web');
}

/**
 * Why `uri` cannot be a URI Gatehouse itself calls (`backchannel_logout_uri`;
 * OAUTH.md, "Clients"), or null: absolute, no fragment (Back-Channel Logout
 * §2.2), `https`, or `http` on a loopback host where loopback is allowed (not
 * in production, unless ALLOW_PRIVATE_CLIENT_URIS), and no address literal
 * the policy refuses. A name is checked again, on every address it resolves
 * to, when it is called (OutboundHttpService).
 */
export function calledUriProblem(uri: unknown, addresses: AddressPolicy): string | null {
  const problem = redirectUriProblem(uri, 'web');
  if (problem) return problem.startsWith('must use https') ? `must use https${addresses.allowLoopback ? '; http only on a loopback host (127.0.0.1, [::1], localhost)' : ''}` : problem;
  const { hostname, protocol } = new URL(uri as string);
  if (protocol === 'http:' && !addresses.allowLoopback) return 'must use https';
  const literal = ipLiteralOf(hostname) ?? (hostname === 'localhost' ? '127.0.0.1' : null);
  if (literal && !addressAllowed(literal, addresses)) return 'must not name a loopback, private, link-local or reserved address (ALLOW_PRIVATE_CLIENT_URIS allows private ones)';
  return null;
}

/** Why `uri` cannot be a resource indicator (RFC 8707 §2: an absolute URI without a fragment), or null. */
export function resourceUriProblem(uri: unknown): string | null {
  if (typeof uri !== 'string' || uri.length === 0) return 'must be a non-empty string';
  if (uri.length > MAX_URI_LENGTH) return `must be at most ${MAX_URI_LENGTH} characters`;
  if (UNSAFE_CHARACTER.test(uri)) return 'must not contain spaces, control characters or backslashes';
  if (uri.includes('#')) return 'must not contain a fragment (#) (RFC 8707 §2)';
  return absoluteUrl(uri) ? null : 'must be an absolute URI (RFC 8707 §2)';
}

function absoluteUrl(uri: string): URL | null {
  try {
    return new URL(uri);
  } catch {
    return null;
  }
}

/** What redirectUriMatches needs to know of a client. */
export interface RedirectingClient {
  redirectUris: string[];
  applicationType: ApplicationType;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
}

/**
 * A loopback IP redirect, `http://127.0.0.1[:port][/path][?query]` or the
 * same with `[::1]`, read on the string itself (no URL parser to normalise
 * it): the port, and what comes before and after it.
 */
const LOOPBACK_IP_REDIRECT = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?][^#]*)?$/;

/** The URI without its port, if it is a loopback IP redirect with a valid port (or none); otherwise null. */
function withoutLoopbackPort(uri: string): string | null {
  const match = LOOPBACK_IP_REDIRECT.exec(uri);
  if (!match) return null;
  const [, host, port, rest = ''] = match;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  return `http://${host}${rest}`;
}

/**
 * Whether `presented` (the `redirect_uri` of an authorization request) is one
 * the client registered: the same string, character for character (RFC 9700
 * §4.1.3: no prefix, case, trailing-slash or query leniency). One exception,
 * RFC 8252 §7.3: a native public client listens on whatever port the system
 * gave it, so its registered `http://127.0.0.1…` or `http://[::1]…` redirect
 * matches on any port, the rest still exact. `localhost` gets no such
 * leniency: a name may resolve elsewhere (RFC 8252 §8.3).
 */
export function redirectUriMatches(client: RedirectingClient, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  if (client.redirectUris.includes(presented)) return true;
  if (client.applicationType !== 'native' || client.tokenEndpointAuthMethod !== 'none') return false;
  const portless = withoutLoopbackPort(presented);
  return portless !== null && client.redirectUris.some((registered) => withoutLoopbackPort(registered) === portless);
}
