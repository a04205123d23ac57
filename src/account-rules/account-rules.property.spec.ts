import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidPassword, isValidUsername, passwordFormsToTry, usernameKey } from './account-rules.js';

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

  it('take a password at login exactly when it is well-formed UTF-8 without control characters, of 8 to 72 bytes as typed or once normalised', () => {
    const storable = (form: string) => Buffer.byteLength(form, 'utf8') >= 8 && Buffer.byteLength(form, 'utf8') <= 72;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 90 }), (password) => {
        const expected = password.isWellFormed() && !/[\u0000-\u001f\u007f-\u009f]/.test(password) && (storable(password) || storable(password.normalize('NFKC')));
        expect(isValidPassword(password)).toBe(expected);
      }),
    );
  });

  it('try the normalised form of a password first, then the form as typed only when it differs', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 8, maxLength: 20 }), (password) => {
        const forms = passwordFormsToTry(password);
        expect(new Set(forms).size).toBe(forms.length);
        if (forms.length) expect([password.normalize('NFKC'), password]).toContain(forms[0]);
        if (forms.length === 2) expect(forms).toEqual([password.normalize('NFKC'), password]);
      }),
    );
  });
});
