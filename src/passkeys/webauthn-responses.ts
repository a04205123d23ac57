/**
 * What Gatehouse reads of a WebAuthn answer before verifying it: the
 * challenge clientDataJSON echoes (to find the ceremony it answers) and the
 * user handle an account is given. Everything else is @simplewebauthn's to check.
 */

/** The user handle of an account (WebAuthn §14.6.1: no personal information): its id, as text. */
export function userHandleOf(userId: number): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(String(userId));
}

/** The account id a user handle (base64url) names, or null. */
export function userIdOfHandle(userHandle: string | undefined): number | null {
  if (!userHandle) return null;
  const text = Buffer.from(userHandle, 'base64url').toString('utf8');
  return /^[1-9]\d{0,15}$/.test(text) ? Number(text) : null;
}

/** The challenge in clientDataJSON (base64url JSON), or null when it is unreadable. */
export function challengeOf(response: unknown): string | null {
  const clientDataJSON = (response as { response?: { clientDataJSON?: unknown } } | null)?.response?.clientDataJSON;
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 8192) return null;
  try {
    const { challenge } = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{1,86}$/.test(challenge) ? challenge : null;
  } catch {
    return null;
  }
}
