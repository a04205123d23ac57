import { parseBasicCredentials, type BasicCredentialsResult } from './basic-credentials.js';

/** Far above any token this service signs (about 400 characters): a larger one is refused unread. */
const MAX_ACCESS_TOKEN_LENGTH = 2048;
/** RFC 6750 §2.1: `Bearer` and one b64token, nothing more. */
const BEARER_HEADER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
/** RFC 9449 §7.1: `DPoP` and one b64token, with the proof in the DPoP header. */
const DPOP_HEADER = /^DPoP ([A-Za-z0-9\-._~+/]+=*)$/i;

/** What the Authorization header presents, read once per request by AuthenticatedGuard. */
export type PresentedCredentials =
  | { scheme: 'none' }
  | { scheme: 'unsupported' }
  /** `token` is null when the header is not one well-formed, bounded b64token. */
  | { scheme: 'bearer'; token: string | null }
  /** A DPoP-bound token (RFC 9449 §7.1); `token` as for Bearer. */
  | { scheme: 'dpop'; token: string | null }
  | { scheme: 'basic'; credentials: BasicCredentialsResult };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by AuthenticatedGuard; the strategies read their scheme's part of it. */
    presentedCredentials?: PresentedCredentials;
  }
}

export function readAuthorizationHeader(header: string | undefined): PresentedCredentials {
  if (!header) return { scheme: 'none' };
  const scheme = header.split(' ', 1)[0].toLowerCase();
  if (scheme === 'bearer') {
    const token = header.length > MAX_ACCESS_TOKEN_LENGTH + 'Bearer '.length ? null : (BEARER_HEADER.exec(header)?.[1] ?? null);
    return { scheme: 'bearer', token };
  }
  if (scheme === 'dpop') {
    const token = header.length > MAX_ACCESS_TOKEN_LENGTH + 'DPoP '.length ? null : (DPOP_HEADER.exec(header)?.[1] ?? null);
    return { scheme: 'dpop', token };
  }
  if (scheme === 'basic') return { scheme: 'basic', credentials: parseBasicCredentials(header) };
  return { scheme: 'unsupported' };
}
