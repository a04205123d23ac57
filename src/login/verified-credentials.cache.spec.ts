import { describe, expect, it } from 'vitest';
import { USER_EVENTS, UserChangedEvent } from '../users/events/user-changed.event.js';
import type { AppConfiguration } from '../config/configuration.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { VerifiedCredentialsCache } from './verified-credentials.cache.js';

function setUp() {
  const metrics = new MetricsService({ metricsToken: null } as AppConfiguration);
  const cache = new VerifiedCredentialsCache(metrics);
  return { cache, metrics, changed: (id: number) => cache.forgetUser(new UserChangedEvent(USER_EVENTS.passwordChanged, id)) };
}

describe('VerifiedCredentialsCache', () => {
  it('finds a remembered pair, with the username in any case, and nothing for another password', () => {
    const { cache } = setUp();
    cache.remember('Alice', 'right-password', 7, cache.changeCount());
    expect(cache.lookup('alice', 'right-password')).toBe(7);
    expect(cache.lookup('ALICE', 'right-password')).toBe(7);
    expect(cache.lookup('alice', 'wrong-password')).toBeUndefined();
    expect(cache.lookup('alice', 'Right-password')).toBeUndefined();
  });

  it('forgets every pair of a user whose password, role or existence changed, and only theirs', () => {
    const { cache, changed } = setUp();
    cache.remember('alice', 'first-password', 7, cache.changeCount());
    cache.remember('alice', 'second-password', 7, cache.changeCount());
    cache.remember('bob', 'bob-password', 8, cache.changeCount());
    changed(7);
    expect(cache.lookup('alice', 'first-password')).toBeUndefined();
    expect(cache.lookup('alice', 'second-password')).toBeUndefined();
    expect(cache.lookup('bob', 'bob-password')).toBe(8);
  });

  it('does not confuse pairs that join to the same text', () => {
    const { cache } = setUp();
    cache.remember('abc', 'defghijk', 1, cache.changeCount());
    expect(cache.lookup('abcd', 'efghijk')).toBeUndefined();
  });

  it('does not store a pair verified against a user read before a change came in (a stale fill)', () => {
    const { cache, changed } = setUp();
    const changesBefore = cache.changeCount();
    // The check read the old password hash; meanwhile the password changed (on this instance or another).
    changed(7);
    cache.remember('alice', 'old-password', 7, changesBefore);
    expect(cache.lookup('alice', 'old-password')).toBeUndefined();
    // A check that starts after the change is remembered as usual.
    cache.remember('alice', 'new-password', 7, cache.changeCount());
    expect(cache.lookup('alice', 'new-password')).toBe(7);
  });

  it('keys by an HMAC under a per-process secret: two caches disagree', () => {
    const first = setUp().cache;
    const second = setUp().cache;
    first.remember('alice', 'right-password', 7, first.changeCount());
    expect(second.lookup('alice', 'right-password')).toBeUndefined();
  });

  it('counts its hits and misses for metrics', async () => {
    const { cache, metrics } = setUp();
    cache.remember('alice', 'correct-horse', 7, cache.changeCount());
    cache.lookup('alice', 'correct-horse');
    cache.lookup('alice', 'wrong-horse');
    cache.lookup('Alice', 'correct-horse');
    const lookups = (await metrics.registry.getSingleMetric('gatehouse_cache_lookups_total')!.get()).values;
    const count = (result: string) => lookups.find((value) => value.labels.cache === 'verified-basic-credentials' && value.labels.result === result)?.value;
    expect([count('hit'), count('miss')]).toEqual([2, 1]);
  });
});
