import { describe, expect, it } from 'vitest';
import { emailKey, isValidEmail, isValidPassword, isValidUsername, isWellFormedPassword, normalisedPassword, passwordFormsToTry, passwordLength, usernameKey } from './account-rules.js';

describe('account rules', () => {
  it.each(['alice@example.com', 'Alice.Smith+tag@mail.example.co.uk', 'x@xn--bcher-kva.example', `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.com`])('takes the e-mail address %s', (email) =>
    expect(isValidEmail(email)).toBe(true),
  );
  it.each(['alice', 'alice@', '@example.com', 'alice@localhost', 'alice@127.0.0.1', 'Alice <alice@example.com>', ' alice@example.com', 'alice@example.com\n', 'ａlice@example.com', 'alicé@example.com', 'alice@bücher.example', `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example`, 42, null])(
    'refuses the e-mail address %j',
    (email) => expect(isValidEmail(email)).toBe(false),
  );
  it('folds e-mail addresses to one key whatever their case', () => expect(emailKey('Alice@Example.COM')).toBe(emailKey('alice@example.com')));

  it.each(['abc', 'A.b_c-9', 'x'.repeat(64)])('takes the username %s', (name) => expect(isValidUsername(name)).toBe(true));
  it.each(['ab', 'x'.repeat(65), ' alice', 'alice ', 'al ice', 'ａｌｉｃｅ', 'alicé', 'alice\u0000', 'аlice' /* Cyrillic а */, 42])(
    'refuses the username %j',
    (name) => expect(isValidUsername(name)).toBe(false),
  );

  it('takes a stored password of 8 to 72 UTF-8 bytes: the floor every password ever accepted meets', () => {
    expect(isValidPassword('12345678')).toBe(true);
    expect(isValidPassword('1234567')).toBe(false);
    expect(isValidPassword('€'.repeat(24))).toBe(true); // 72 bytes
    expect(isValidPassword(`${'€'.repeat(24)}a`)).toBe(false); // 73 bytes
    expect(isValidPassword('\ud800'.repeat(8))).toBe(false); // lone surrogates are not UTF-8
  });

  it('leaves the minimum length of a new password to the policy, and keeps bcrypt\'s 72-byte ceiling', () => {
    expect(isWellFormedPassword('')).toBe(true);
    expect(isWellFormedPassword('€'.repeat(24))).toBe(true);
    expect(isWellFormedPassword(`${'€'.repeat(24)}a`)).toBe(false);
    expect(isWellFormedPassword('new\nline-password')).toBe(false);
    expect(isWellFormedPassword(42)).toBe(false);
  });

  it('measures a new password\'s 72 bytes once normalised, the form bcrypt is given', () => {
    expect(isWellFormedPassword('ａ'.repeat(30))).toBe(true); // 90 bytes typed, 30 normalised
    expect(isWellFormedPassword('\ufdfa'.repeat(3))).toBe(false); // 9 bytes typed, 99 normalised
    expect(isWellFormedPassword('escape\u001b[2J')).toBe(false);
    expect(isWellFormedPassword('c1-csi\u009b2J!')).toBe(false);
  });

  it('normalises passwords to NFKC (NIST SP 800-63B §5.1.1.2)', () => {
    expect(normalisedPassword('cre\u0300me')).toBe('crème');
    expect(normalisedPassword('ｐａｓｓｗｏｒｄ\u3000１')).toBe('password 1');
    expect(normalisedPassword('zero\u200bwidth')).toBe('zero\u200bwidth'); // NFKC keeps it: the policy refuses it in new passwords
  });

  it('has a login try the normalised form, then the form as typed when it differs, each only if a stored password can have it', () => {
    expect(passwordFormsToTry('plain-password')).toEqual(['plain-password']);
    expect(passwordFormsToTry('cre\u0300me brûlée')).toEqual(['crème brûlée', 'cre\u0300me brûlée']);
    expect(passwordFormsToTry('ｐａｓｓ')).toEqual(['ｐａｓｓ']); // "pass" is under 8 bytes: only the form as typed can be stored
    expect(passwordFormsToTry(`${'\ufdfa'.repeat(3)}-old`)).toEqual([`${'\ufdfa'.repeat(3)}-old`]); // over 72 bytes normalised
    expect(passwordFormsToTry('nul\u0000password')).toEqual([]);
    expect(passwordFormsToTry(42)).toEqual([]);
  });

  it('counts a password\'s characters as NIST does: one per Unicode code point', () => {
    expect(passwordLength('12345678')).toBe(8);
    expect(passwordLength('€'.repeat(8))).toBe(8); // 24 bytes
    expect(passwordLength('🐎🔋📎🔒')).toBe(4); // 8 UTF-16 units, 16 bytes
  });

  it('folds case for the uniqueness key only', () => {
    expect(usernameKey('Alice.Smith')).toBe('alice.smith');
  });
});
