import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Opaque secrets Gatehouse hands out and keeps only as a hash: refresh
 * tokens, MFA tokens, recovery links, authorization codes, device codes,
 * client secrets, browser-session cookies. 256 random bits need no slow hash
 * (RFC 9700 §4.14, OAUTH.md "Clients"): SHA-256 of the token is what is
 * stored and looked up, and a comparison of two hashes is constant-time.
 */
const TOKEN_BYTES = 32;

/** A new token: 256 bits from the CSPRNG, base64url (43 characters). */
export function mintOpaqueToken(bytes = TOKEN_BYTES): string {
  return randomBytes(bytes).toString('base64url');
}

/** What is stored for a token: hex SHA-256 (64 characters). */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether `token` is the one `storedHash` was made from, compared in constant time (a null hash matches nothing). */
export function opaqueTokenMatches(token: string, storedHash: string | null | undefined): boolean {
  if (!storedHash) return false;
  const presented = Buffer.from(hashOpaqueToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
