import { describe, expect, it } from 'vitest';
import { isValidPassword, isValidUsername, usernameKey } from './account-rules.js';

describe('account rules', () => {
  it.each(['abc', 'A.b_c-9', 'x'.repeat(64)])('takes the username %s', (name) => expect(isValidUsername(name)).toBe(true));
  it.each(['ab', 'x'.repeat(65), ' alice', 'alice ', 'al ice', 'ａｌｉｃｅ', 'alicé', 'alice\u0000', 'аlice' /* Cyrillic а */, 42])(
    'refuses the username %j',
    (name) => expect(isValidUsername(name)).toBe(false),
  );

  it('counts password length in UTF-8 bytes: 8 to 72', () => {
    expect(isValidPassword('12345678')).toBe(true);
    expect(isValidPassword('1234567')).toBe(false);
    expect(isValidPassword('€'.repeat(24))).toBe(true); // 72 bytes
    expect(isValidPassword(`${'€'.repeat(24)}a`)).toBe(false); // 73 bytes
    expect(isValidPassword('\ud800'.repeat(8))).toBe(false); // lone surrogates are not UTF-8
  });

  it('folds case for the uniqueness key only', () => {
    expect(usernameKey('Alice.Smith')).toBe('alice.smith');
  });
});
