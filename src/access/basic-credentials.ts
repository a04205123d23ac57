/** The longest Basic header read: 64-character name, 72-byte password, Base64 overhead, with room to spare. */
export const MAX_BASIC_HEADER_LENGTH = 1024;

export type BasicCredentialsResult =
  | { ok: true; username: string; password: string }
  | { ok: false; reason: string };

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses an `Authorization: Basic …` header by RFC 7617: strict RFC 4648
 * Base64, UTF-8, split at the first colon (so a password may contain colons).
 */
export function parseBasicCredentials(header: string | undefined): BasicCredentialsResult {
  if (!header) return { ok: false, reason: 'no credentials were sent' };
  if (header.length > MAX_BASIC_HEADER_LENGTH) return { ok: false, reason: 'the header is too long' };
  const match = /^Basic ([^ ]+)$/i.exec(header);
  if (!match) return { ok: false, reason: 'expected "Basic <base64 of username:password>"' };
  const encoded = match[1];
  if (!STRICT_BASE64.test(encoded)) return { ok: false, reason: 'the credentials are not valid Base64' };
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return { ok: false, reason: 'the credentials are not valid UTF-8' };
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return { ok: false, reason: 'the decoded credentials have no colon between username and password' };
  return { ok: true, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
