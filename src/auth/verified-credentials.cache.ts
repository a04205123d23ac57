import { createHmac, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { usernameKey } from '../users/account-rules.js';
import { UsersService } from '../users/users.service.js';

/** How long a verified Basic credential is trusted without bcrypt; changes invalidate it at once. */
const CREDENTIALS_TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Basic authentication sends the password with every request; bcrypt on each
 * would cap a route at a few requests per second. This remembers which
 * username:password pairs were verified, keyed by an HMAC under a secret that
 * lives only in this process, so the cache never holds a password or anything
 * that could be checked offline. Only verified pairs go in; a password change,
 * role change or deletion (UsersService.userChanged) drops the user's entries.
 */
@Injectable()
export class VerifiedCredentialsCache {
  private readonly secret = randomBytes(32);
  private readonly keysByUser = new Map<number, Set<string>>();
  private readonly userIdByKey = new LRUCache<string, number>({
    max: MAX_ENTRIES,
    ttl: CREDENTIALS_TTL_MS,
    dispose: (userId, key) => this.keysByUser.get(userId)?.delete(key),
  });

  constructor(usersService: UsersService) {
    usersService.onUserChanged((userId) => this.forgetUser(userId));
  }

  /** The id of the user these credentials were verified for, if they were, recently. */
  lookup(username: string, password: string): number | undefined {
    return this.userIdByKey.get(this.keyOf(username, password));
  }

  remember(username: string, password: string, userId: number): void {
    const key = this.keyOf(username, password);
    this.userIdByKey.set(key, userId);
    let keys = this.keysByUser.get(userId);
    if (!keys) this.keysByUser.set(userId, (keys = new Set()));
    keys.add(key);
  }

  forgetUser(userId: number): void {
    for (const key of this.keysByUser.get(userId) ?? []) this.userIdByKey.delete(key);
    this.keysByUser.delete(userId);
  }

  private keyOf(username: string, password: string): string {
    // The name is folded, as logins are; a NUL cannot occur in either part, so the pair is unambiguous.
    return createHmac('sha256', this.secret).update(`${usernameKey(username)}\u0000${password}`).digest('base64url');
  }
}
