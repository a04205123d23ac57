import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditText, SecurityEvent } from './security-event.js';

/** Reads the trail's escapes back: `\\` and `\uXXXX` / `\u{X…}`. */
const unescaped = (text: string) => text.replace(/\\(\\|u\{([0-9a-f]+)\}|u([0-9a-f]{4}))/g, (_, escape: string, long?: string, short?: string) => (escape === '\\' ? '\\' : String.fromCodePoint(parseInt((long ?? short)!, 16))));

describe('auditText', () => {
  it.each([
    ['ESC, CR, LF and NUL', 'a\u001b[2J\r\n\u0000b', 'a\\u001b[2J\\u000d\\u000a\\u0000b'],
    ['DEL and the C1 CSI', 'x\u007f\u009by', 'x\\u007f\\u009by'],
    ['bidi overrides and zero-width characters', 'admin\u202egnp.exe\u200b\u2066', 'admin\\u202egnp.exe\\u200b\\u2066'],
    ['line separators and a lone surrogate', '\u2028\u2029\ud800', '\\u2028\\u2029\\ud800'],
    ['a tag character beyond the BMP', 'flag\u{e0067}', 'flag\\u{e0067}'],
    ['a backslash, so no escape in the trail is forged', 'not\\u001b', 'not\\\\u001b'],
    ['printable text of any script, as it is', 'Zoë 漢字 🐎 curl/8.5', 'Zoë 漢字 🐎 curl/8.5'],
  ])('writes %s as visible escapes', (_, text, kept) => expect(auditText(text, 128)).toBe(kept));

  it('keeps at most the limit, and never cuts an escape in two', () => {
    expect(auditText('abc\u001bdef', 5)).toBe('abc');
    expect(auditText('abc\u001bdef', 9)).toBe('abc\\u001b');
  });

  it('keeps any text readable back: nothing left to escape, within the limit, a prefix of the text once unescaped', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.integer({ min: 1, max: 200 }), (text, max) => {
        const kept = auditText(text, max);
        expect(kept.length).toBeLessThanOrEqual(max);
        expect(kept).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
        expect(text.startsWith(unescaped(kept))).toBe(true);
      }),
    );
  });
});

describe('SecurityEvent', () => {
  it('escapes the free text a client sent: details, user agent and client address', () => {
    const event = new SecurityEvent({
      type: 'login',
      outcome: 'failure',
      request: { clientAddress: '203.0.113.9\r\n', userAgent: `ua\u009b${'x'.repeat(600)}`, requestId: 'r-1' },
      details: { username: 'evil\u001b\u0000', method: 'password', attempts: 3 },
    });
    expect(event.details).toEqual({ username: 'evil\\u001b\\u0000', method: 'password', attempts: 3 });
    expect(event.clientAddress).toBe('203.0.113.9\\u000d\\u000a');
    expect(event.userAgent).toMatch(/^ua\\u009bx+$/);
    expect(event.userAgent).toHaveLength(512);
    expect(event.requestId).toBe('r-1');
  });
});
