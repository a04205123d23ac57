import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BASIC_HEADER_LENGTH, parseBasicCredentials } from './basic-credentials.js';

const header = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;
/** Well-formed UTF-16, so the text survives the trip through UTF-8. */
const text = (constraints: fc.StringConstraints = {}) => fc.string({ unit: 'grapheme', ...constraints });

describe('parseBasicCredentials (properties)', () => {
  it('gives back any username without a colon and any password, split at the first colon', () => {
    fc.assert(
      fc.property(text({ maxLength: 64 }).filter((name) => !name.includes(':')), text({ maxLength: 72 }), (username, password) => {
        fc.pre(header(`${username}:${password}`).length <= MAX_BASIC_HEADER_LENGTH);
        expect(parseBasicCredentials(header(`${username}:${password}`))).toEqual({ ok: true, username, password });
      }),
    );
  });

  it('never throws, whatever the header, and refuses or parses', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (anything) => {
        const result = parseBasicCredentials(anything);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.reason).toMatch(/^[a-z]/);
      }),
    );
  });

  it('refuses any Base64 that is not canonical RFC 4648 (Node would decode it anyway)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9+/]{1,40}$/).filter((value) => value.length % 4 !== 0), (encoded) => {
        expect(parseBasicCredentials(`Basic ${encoded}`)).toEqual({ ok: false, reason: 'the credentials are not valid Base64' });
      }),
    );
  });

  it('refuses any decoded text without a colon', () => {
    fc.assert(
      fc.property(text({ minLength: 1, maxLength: 100 }).filter((value) => !value.includes(':')), (value) => {
        expect(parseBasicCredentials(header(value))).toMatchObject({ ok: false });
      }),
    );
  });
});
