import { describe, expect, it } from 'vitest';
import { normalizeUserCode, USER_CODE_ALPHABET } from './device-authorizations.service.js';

describe('normalizeUserCode (RFC 8628 §6.1: case and dash ignored on entry)', () => {
  it('takes the code as shown, in lower case, without the dash, with spaces', () => {
    for (const entered of ['WDJB-MJHT', 'wdjb-mjht', 'WDJBMJHT', ' wdjb mjht ', 'Wd-Jb-Mj-Ht']) expect(normalizeUserCode(entered)).toBe('WDJBMJHT');
  });

  it('refuses what cannot be a code: vowels, digits, another length', () => {
    for (const entered of ['', 'WDJB-MJH', 'WDJB-MJHTX', 'WDJA-MJHT', 'WDJB-MJH1', 'WDJB_MJHT']) expect(normalizeUserCode(entered)).toBeNull();
  });

  it('the alphabet has no vowels and no look-alikes', () => {
    expect(USER_CODE_ALPHABET).toHaveLength(20);
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY0-9]/);
  });
});
