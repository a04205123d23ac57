import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidPassword, isValidUsername, usernameKey } from './account-rules.js';

const ALLOWED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-'.split('');

describe('account rules (properties)', () => {
  it('take every username of 3 to 64 allowed characters', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...ALLOWED), { minLength: 3, maxLength: 64 }), (characters) => {
      expect(isValidUsername(characters.join(''))).toBe(true);
    }));
  });

  it('refuse every username with any other character, whatever else it holds', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((character) => !ALLOWED.includes(character)),
        fc.string({ maxLength: 30 }),
        (before, intruder, after) => {
          expect(isValidUsername(`${before}${intruder}${after}`)).toBe(false);
        },
      ),
    );
  });

  it('fold case into the key and nothing else: one key per name whatever its case', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...ALLOWED), { minLength: 3, maxLength: 64 }), (characters) => {
      const name = characters.join('');
      expect(usernameKey(name.toUpperCase())).toBe(usernameKey(name.toLowerCase()));
      expect(usernameKey(name)).toHaveLength(name.length);
    }));
  });

  it('take a password exactly when it is 8 to 72 bytes of well-formed UTF-8 without control characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 90 }), (password) => {
        const bytes = Buffer.byteLength(password, 'utf8');
        const expected = password.isWellFormed() && !/[\u0000-\u001f\u007f-\u009f]/.test(password) && bytes >= 8 && bytes <= 72;
        expect(isValidPassword(password)).toBe(expected);
      }),
    );
  });
});
