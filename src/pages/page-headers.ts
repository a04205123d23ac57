import { isIP } from 'node:net';

/** What a page lets the browser reach beyond its own origin. */
export interface PageSources {
  /**
   * Where the page's forms may lead, besides this origin: the redirects that
   * follow a POST count (CSP 3 §6.3.1; RFC 9700 §4.11.2 notes the consent and
   * login forms' redirect to the client is blocked without it in some browsers).
   * URLs or origins: each becomes its origin, or its scheme for a native app's
   * private-use scheme (com.example.app:/cb).
   */
  formActions?: readonly string[];
  /** Where its images come from: URLs (a client's logo), each reduced to its origin; a path (/…) is this origin. */
  imageSources?: readonly string[];
  /**
   * The passkey buttons (the login page's, the account page's): our script
   * file (script-src 'self', never inline, no eval) and its one fetch of the
   * options (connect-src 'self'). Every other page has no script at all.
   */
  scripts?: boolean;
}

/** A host as CSP's host-source grammar has it (after the URL parser's lower-casing and punycode): labels of letters, digits and dashes. */
const HOST_SOURCE = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;

/**
 * A URL as a CSP source expression: its origin for http(s), its scheme for
 * any other (a native app's redirect), 'self' for a path on this host. The
 * parts written are checked against CSP's grammar, since the URL parser lets
 * `;` and `,` into a host (`https://a.example;script-src`), which would add
 * a directive or a policy: such a URL throws. An IPv6 loopback redirect
 * (http://[::1]:port) has no host-source form in CSP's grammar: its scheme
 * stands for it.
 */
export function cspSource(uri: string): string {
  if (uri === "'self'" || /^\/(?![/\\])/.test(uri)) return "'self'";
  const url = new URL(uri);
  if (!/^[a-z][a-z0-9+.-]*:$/.test(url.protocol)) throw new Error(`not a URL a page may name in its policy: ${uri}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return url.protocol;
  if (isIP(url.hostname.replace(/^\[|\]$/g, '')) === 6) return url.protocol;
  if (!HOST_SOURCE.test(url.hostname)) throw new Error(`not a host a page may name in its policy: ${uri}`);
  return url.origin;
}

const unique = (sources: string[]): string[] => [...new Set(sources)];

/**
 * The policy of every page: nothing but our stylesheet, our forms (and the
 * given destinations), the given images; no framing (clickjacking, RFC 9700
 * §4.16), no <base>, no script but the login page's file of our own: the
 * pages work without JavaScript.
 */
export function contentSecurityPolicy({ formActions = [], imageSources = [], scripts = false }: PageSources = {}): string {
  const images = unique(imageSources.map(cspSource));
  return [
    "default-src 'none'",
    ...(scripts ? ["script-src 'self'", "connect-src 'self'"] : []),
    "style-src 'self'",
    ...(images.length ? [`img-src ${images.join(' ')}`] : []),
    `form-action ${unique(["'self'", ...formActions.map(cspSource)]).join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * The headers every page answers with, over the API's (security-headers.ts):
 * its own policy, no caching anywhere (a page holds a CSRF token, a user's
 * name, a client's request), no Referer to whatever it links to (its URL may
 * hold a mailed token), and no framing for browsers that predate
 * frame-ancestors.
 */
export function pageHeaders(sources: PageSources = {}): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(sources),
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-type': 'text/html; charset=utf-8',
  };
}
