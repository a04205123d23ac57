import { createHmac, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { LRUCache } from 'lru-cache';
import { usernameKey } from '../account-rules/account-rules.js';
import { ANY_USER_EVENT, type UserChangedEvent } from '../users/events/user-changed.event.js';
import { MetricsService, type CacheLookups } from '../metrics/metrics.service.js';

/** How long a verified Basic credential is trusted without bcrypt; changes invalidate it at once. */
const CREDENTIALS_TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Basic authentication sends the password with every request; bcrypt on each
 * would cap a route at a few requests per second. This remembers which
 * username:password pairs were verified, keyed by an HMAC under a secret that
 * lives only in this process, so the cache never holds a password or anything
 * that could be checked offline. Only verified pairs go in; a password change,
 * role change or deletion (USER_EVENTS) drops the user's entries,
 * and a verification that was under way during such a change does not put its
 * pair back (see `changeCount`).
 */
@Injectable()
export class VerifiedCredentialsCache {
  private readonly secret = randomBytes(32);
  private readonly keysByUser = new Map<number, Set<string>>();
  private readonly userIdByKey = new LRUCache<string, number>({
    max: MAX_ENTRIES,
    ttl: CREDENTIALS_TTL_MS,
    dispose: (userId, key) => this.forgetKey(userId, key),
  });
  private changesHeard = 0;
  private readonly lookups: CacheLookups;

  constructor(metrics: MetricsService) {
    this.lookups = metrics.watchCache('verified-basic-credentials', () => this.userIdByKey.size);
  }

  /** The id of the user these credentials were verified for, if they were, recently. */
  lookup(username: string, password: string): number | undefined {
    const userId = this.userIdByKey.get(this.keyOf(username, password));
    if (userId === undefined) this.lookups.misses++;
    else this.lookups.hits++;
    return userId;
  }

  /** Take it before reading the user to verify; `remember` then stores only if no change came in meanwhile. */
  changeCount(): number {
    return this.changesHeard;
  }

  /** Remembers a pair verified against a user read after `changeCount` returned `changesBefore`. */
  remember(username: string, password: string, userId: number, changesBefore: number): void {
    if (changesBefore !== this.changesHeard) return;
    const key = this.keyOf(username, password);
    this.userIdByKey.set(key, userId);
    let keys = this.keysByUser.get(userId);
    if (!keys) this.keysByUser.set(userId, (keys = new Set()));
    keys.add(key);
  }

  /** A password, role or existence changed, here or on another instance. */
  @OnEvent(ANY_USER_EVENT)
  forgetUser({ userId }: UserChangedEvent): void {
    this.changesHeard++;
    for (const key of this.keysByUser.get(userId) ?? []) this.userIdByKey.delete(key);
    this.keysByUser.delete(userId);
  }

  private forgetKey(userId: number, key: string): void {
    const keys = this.keysByUser.get(userId);
    keys?.delete(key);
    // No empty set left behind per user once its entries expire or are evicted.
    if (keys?.size === 0) this.keysByUser.delete(userId);
  }

  private keyOf(username: string, password: string): string {
    // The name is folded, as logins are; a NUL cannot occur in either part, so the pair is unambiguous.
    return createHmac('sha256', this.secret).update(`${usernameKey(username)}\u0000${password}`).digest('base64url');
  }
}
