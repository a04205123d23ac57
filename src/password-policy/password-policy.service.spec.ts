import { readFileSync } from 'node:fs';
import { BadRequestException } from '@nestjs/common';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppConfiguration } from '../config/configuration.js';
import { BREACHED, CONTAINS_USERNAME, PasswordPolicyService, TOO_COMMON, ZERO_WIDTH } from './password-policy.service.js';
import type { PwnedPasswordsService } from './pwned-passwords.service.js';

const LIST = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8').split('\n').filter(Boolean);

function policy(minLength = 8, breached: string[] = []) {
  const pwnedPasswords = { isBreached: vi.fn<PwnedPasswordsService['isBreached']>(async (password) => breached.includes(password)) };
  const service = new PasswordPolicyService({ passwordPolicy: { minLength, breachCheck: null } } as AppConfiguration, pwnedPasswords as unknown as PwnedPasswordsService);
  return { service, pwnedPasswords };
}

describe('PasswordPolicyService', () => {
  const { service, pwnedPasswords } = policy();
  beforeAll(() => service.onModuleInit());

  it('ships a blocklist of the 100,000 most common passwords', () => {
    expect(LIST).toHaveLength(100_000);
    expect(LIST.slice(0, 3)).toEqual(['123456', 'password', '12345678']);
  });

  it.each(['password', '12345678', 'qwertyuiop', 'iloveyou', 'calculator', '07021954' /* near the end of the list */])(
    'refuses %s from the blocklist',
    async (password) => expect(await service.refusalOf(password, 'someone')).toBe(TOO_COMMON),
  );

  it('compares the blocklist case-insensitively', async () => {
    expect(await service.refusalOf('PassWord123', 'someone')).toBe(TOO_COMMON);
    expect(await service.refusalOf('ILOVEYOU', 'someone')).toBe(TOO_COMMON);
  });

  it.each([
    ['spaces around it', '  password123 '],
    ['ideographic and no-break spaces around it', '\u3000password123\u00a0'],
    ['full-width forms', 'ｐａｓｓｗｏｒｄ１２３'],
    ['full-width forms and capitals', 'ＰａｓｓＷｏｒｄ１２３'],
  ])('compares the blocklist in NFKC: refuses a listed password with %s', async (_, password) => {
    expect(await service.refusalOf(password, 'someone')).toBe(TOO_COMMON);
  });

  it.each(['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'])('refuses a new password with the zero-width character %j', async (character) => {
    expect(await service.refusalOf(`pass${character}word123`, 'someone')).toBe(ZERO_WIDTH);
    expect(await service.refusalOf(`correct-horse-battery${character}`, 'someone')).toBe(ZERO_WIDTH);
  });

  it('finds the username in a full-width spelling of it', async () => {
    expect(await service.refusalOf('the-ａｌｉｃｅ-of-wonderland', 'alice')).toBe(CONTAINS_USERNAME);
  });

  it('counts the length of the normalised password', async () => {
    expect(await service.refusalOf('e\u0301'.repeat(7), 'someone')).toBe('must be at least 8 characters'); // 14 code points in NFD, 7 in NFC
  });

  it('asks Have I Been Pwned about the normalised password, the one that is hashed', async () => {
    const { service: online, pwnedPasswords: api } = policy(8, []);
    await online.onModuleInit();
    await online.refusalOf('ｔｒ０ｕｂ４ｄｏｒ-horse', 'someone');
    expect(api.isBreached).toHaveBeenCalledWith('tr0ub4dor-horse');
  });

  it('refuses a password containing the username, whatever the case of either', async () => {
    expect(await service.refusalOf('alice-in-wonderland', 'alice')).toBe(CONTAINS_USERNAME);
    expect(await service.refusalOf('the ALICE of wonderland', 'Alice')).toBe(CONTAINS_USERNAME);
    expect(await service.refusalOf('alicia-in-wonderland', 'alice')).toBeNull();
  });

  it('imposes no composition rules: a long passphrase of lower-case letters and spaces is fine', async () => {
    expect(await service.refusalOf('purple monkey dishwasher', 'someone')).toBeNull();
    expect(await service.refusalOf('correct-horse-battery', 'someone')).toBeNull();
  });

  it('counts the minimum length in characters (code points), not bytes', async () => {
    const strict = policy(12).service;
    await strict.onModuleInit();
    expect(await strict.refusalOf('eleven-char', 'someone')).toBe('must be at least 12 characters');
    expect(await strict.refusalOf('€'.repeat(11), 'someone')).toBe('must be at least 12 characters'); // 33 bytes
    expect(await strict.refusalOf('€'.repeat(12), 'someone')).toBeNull();
    // The list still refuses what is long enough to reach it.
    expect(await strict.refusalOf('qwertyuiop', 'someone')).toBe('must be at least 12 characters');
    expect(await strict.refusalOf('1qaz2wsx3edc', 'someone')).toBe(TOO_COMMON);
    expect(await service.refusalOf('short', 'someone')).toBe('must be at least 8 characters');
  });

  it('asks Have I Been Pwned last, only about a password the offline rules accept', async () => {
    const { service: online, pwnedPasswords: api } = policy(8, ['tr0ub4dor&3-horse']);
    await online.onModuleInit();
    expect(await online.refusalOf('tr0ub4dor&3-horse', 'someone')).toBe(BREACHED);
    expect(await online.refusalOf('password123', 'someone')).toBe(TOO_COMMON);
    expect(await online.refusalOf('someone-else', 'someone')).toBe(CONTAINS_USERNAME);
    expect(api.isBreached.mock.calls).toEqual([['tr0ub4dor&3-horse']]);
    expect(pwnedPasswords.isBreached).not.toHaveBeenCalledWith('password123');
  });

  it('turns a refusal into a 400 naming the field', async () => {
    await expect(service.enforce('password123', 'someone', 'newPassword')).rejects.toThrow(
      new BadRequestException('newPassword is too common (it appears in lists of breached passwords)'),
    );
    await expect(service.enforce('correct-horse-battery', 'someone', 'password')).resolves.toBeUndefined();
  });
});
