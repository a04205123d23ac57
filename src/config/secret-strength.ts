/**
 * Secrets a production deployment must not run with: the placeholders of
 * deploy/instance.env.example and the like, and strings too regular to be
 * random. A strength check, not a proof: it catches the mistakes operators
 * make (a copied example, "secretsecret…", one key held down).
 */

/** Words that mark a value as a placeholder to be replaced. */
const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?me|your[-_ ]?(own[-_ ]?)?secret|example|placeholder|xxxxxxxx/i;

/** Below this many bits of estimated entropy a secret is refused (NIST SP 800-131A's 128-bit floor). */
const MINIMUM_ENTROPY_BITS = 128;

/**
 * Estimated entropy in bits: the length times the Shannon entropy of the
 * string's own character frequencies. Generous to random strings (48 bytes
 * of base64: about 360 bits), harsh on repetition ('ab' × 32: 64 bits).
 */
export function estimatedEntropyBits(value: string): number {
  const characters = [...value];
  const counts = new Map<string, number>();
  for (const character of characters) counts.set(character, (counts.get(character) ?? 0) + 1);
  let bitsPerCharacter = 0;
  for (const count of counts.values()) {
    const share = count / characters.length;
    bitsPerCharacter -= share * Math.log2(share);
  }
  return bitsPerCharacter * characters.length;
}

/** Why `value` is no secret to run production with, or null when it may be one. */
export function weakSecretReason(value: string): string | null {
  if (new Set(value).size === 1) return 'is one character repeated';
  if (PLACEHOLDER.test(value)) return 'is a placeholder (such as the value in deploy/instance.env.example)';
  const bits = estimatedEntropyBits(value);
  if (bits < MINIMUM_ENTROPY_BITS) return `looks too regular to be random (about ${Math.floor(bits)} bits, at least ${MINIMUM_ENTROPY_BITS} needed)`;
  return null;
}
