import { describe, expect, it } from 'vitest';
import type { UserChangeListener, UsersService } from '../users/users.service.js';
import { VerifiedCredentialsCache } from './verified-credentials.cache.js';

function setUp() {
  const listeners: UserChangeListener[] = [];
  const usersService = { onUserChanged: (listener: UserChangeListener) => listeners.push(listener) } as unknown as UsersService;
  return { cache: new VerifiedCredentialsCache(usersService), changed: (id: number) => listeners.forEach((listener) => listener(id, 'local')) };
}

describe('VerifiedCredentialsCache', () => {
  it('finds a remembered pair, with the username in any case, and nothing for another password', () => {
    const { cache } = setUp();
    cache.remember('Alice', 'right-password', 7);
    expect(cache.lookup('alice', 'right-password')).toBe(7);
    expect(cache.lookup('ALICE', 'right-password')).toBe(7);
    expect(cache.lookup('alice', 'wrong-password')).toBeUndefined();
    expect(cache.lookup('alice', 'Right-password')).toBeUndefined();
  });

  it('forgets every pair of a user whose password, role or existence changed, and only theirs', () => {
    const { cache, changed } = setUp();
    cache.remember('alice', 'first-password', 7);
    cache.remember('alice', 'second-password', 7);
    cache.remember('bob', 'bob-password', 8);
    changed(7);
    expect(cache.lookup('alice', 'first-password')).toBeUndefined();
    expect(cache.lookup('alice', 'second-password')).toBeUndefined();
    expect(cache.lookup('bob', 'bob-password')).toBe(8);
  });

  it('does not confuse pairs that join to the same text', () => {
    const { cache } = setUp();
    cache.remember('abc', 'defghijk', 1);
    expect(cache.lookup('abcd', 'efghijk')).toBeUndefined();
  });

  it('keys by an HMAC under a per-process secret: two caches disagree', () => {
    const first = setUp().cache;
    const second = setUp().cache;
    first.remember('alice', 'right-password', 7);
    expect(second.lookup('alice', 'right-password')).toBeUndefined();
  });
});
