/** Keys whose values are secrets (or hold one): shown as set / not set, never their value. */
const SECRET_KEY = /secret|password|passphrase|private|token|credential|encryption.?key|api.?key|^key$|pepper|salt/i;
export const MASK = '•••• (set, hidden)';

/** A URL's password (postgres://user:password@host, redis://:password@host), masked; the rest kept, since it says where. */
function maskUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/i, `$1${MASK}@`);
}

/**
 * The effective configuration as rows of dotted names and values, for the
 * admin console's read-only view: secrets (by their names) never shown, a
 * password inside a URL masked, functions and the like left out.
 */
export function maskedConfiguration(config: object, prefix = ''): { name: string; value: string }[] {
  const rows: { name: string; value: string }[] = [];
  for (const [key, value] of Object.entries(config)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'function' || typeof value === 'symbol') continue;
    if (SECRET_KEY.test(key)) {
      rows.push({ name, value: value === null || value === undefined || value === '' ? 'not set' : MASK });
    } else if (value instanceof Date) {
      rows.push({ name, value: value.toISOString() });
    } else if (Array.isArray(value)) {
      rows.push({ name, value: value.map((item) => (typeof item === 'string' ? maskUrlPassword(item) : JSON.stringify(item))).join(', ') || '(none)' });
    } else if (value !== null && typeof value === 'object') {
      rows.push(...maskedConfiguration(value as object, name));
    } else {
      rows.push({ name, value: typeof value === 'string' ? maskUrlPassword(value) : String(value) });
    }
  }
  return rows;
}
