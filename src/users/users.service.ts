import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { IsNull, Not, Repository, type DeleteResult, type UpdateResult, type WhereExpressionBuilder } from 'typeorm';
import { isUniqueViolation } from '../database/database-errors.js';
import { emailKey, usernameKey, type Role } from '../account-rules/account-rules.js';
import { User } from './entities/user.entity.js';
import { ANY_USER_EVENT, USER_EVENTS, UserChangedEvent, type UserEventName } from './events/user-changed.event.js';
import { ACCOUNT_DELETING, AccountDeletingEvent } from './events/account-deleting.event.js';
import { raiseSecurityEvent, type Actor } from '../security-events/security-event.js';
import { MetricsService, type CacheLookups } from '../metrics/metrics.service.js';

export interface NewUser {
  username: string;
  passwordHash: string;
  role?: Role;
  email?: string | null;
}

export interface UsersPage {
  items: User[];
  total: number;
}

export const LAST_ADMIN_MESSAGE = 'The last admin cannot be demoted or deleted; make another admin first.';

/**
 * Holds unless the row is the last admin. Part of the same UPDATE or DELETE,
 * so the count and the change are one statement; on PostgreSQL the admin rows
 * are locked first as well (withAdminsLocked), since under READ COMMITTED two
 * such statements running at once would each count the other admin.
 */
function notTheLastAdmin(query: WhereExpressionBuilder): void {
  query.andWhere(`(role <> 'admin' OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)`);
}

/** How long a user read for authentication may be reused; changes through this service invalidate it at once. */
const USER_CACHE_TTL_MS = 5_000;


@Injectable()
export class UsersService {
  /** Users by id, as every authenticated request reads them. */
  private readonly cache = new LRUCache<number, User>({ max: 10_000, ttl: USER_CACHE_TTL_MS });
  /**
   * Counts the changes heard. A read fills the cache only if none came in
   * while it ran: a slow read of the old row must not put it back after the
   * change cleared it.
   */
  private changesHeard = 0;
  private readonly lookups: CacheLookups;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly events: EventEmitter2,
    metrics: MetricsService,
  ) {
    this.lookups = metrics.watchCache('users', () => this.cache.size);
  }

  /** Any change of an account, made here or on another instance: the cached row is stale. */
  @OnEvent(ANY_USER_EVENT)
  forget({ userId }: UserChangedEvent): void {
    this.changesHeard++;
    this.cache.delete(userId);
  }

  /**
   * Inserts the account; the unique index, not a prior read, decides a race for the name.
   * `transaction: false`: TypeORM's SQLite driver shares one connection, so a
   * save() racing another would become a SAVEPOINT inside the other's
   * transaction: answered 201, yet not committed, and undone if the other
   * rolls back. One INSERT is atomic on its own.
   */
  async create({ username, passwordHash, role = 'user', email = null }: NewUser): Promise<User> {
    const user = this.users.create({ username, usernameKey: usernameKey(username), passwordHash, role, email, emailKey: email && emailKey(email), emailVerifiedAt: null });
    try {
      return await this.users.save(user, { transaction: false });
    } catch (error) {
      // Only the username can be taken: a new address is unverified, and only verified ones are unique.
      if (isUniqueViolation(error)) throw new ConflictException('Username is already taken.');
      throw error;
    }
  }

  /** Also primes the by-id cache: the request that follows a login or a Basic check reads the user by id. */
  async findByUsername(username: string): Promise<User | null> {
    const changesBefore = this.changesHeard;
    const user = await this.users.findOneBy({ usernameKey: usernameKey(username) });
    if (user && changesBefore === this.changesHeard) this.cache.set(user.id, user);
    return user;
  }

  /** The account that verified this address (case-insensitively), or null: an unverified address belongs to no one. */
  async findByVerifiedEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ emailKey: emailKey(email), emailVerifiedAt: Not(IsNull()) });
  }

  /** The lookup behind every authenticated request, cached for a few seconds. */
  async findById(id: number): Promise<User | null> {
    const cached = this.cache.get(id);
    if (cached) {
      this.lookups.hits++;
      return cached;
    }
    this.lookups.misses++;
    const changesBefore = this.changesHeard;
    const user = await this.users.findOneBy({ id });
    if (user && changesBefore === this.changesHeard) this.cache.set(id, user);
    return user;
  }

  async hasAdmin(): Promise<boolean> {
    return this.users.existsBy({ role: 'admin' });
  }

  /** The bcrypt cost ("$2b$12$…": 12) most stored hashes have; null without accounts. */
  async mostCommonPasswordCost(): Promise<number | null> {
    const row = await this.users
      .createQueryBuilder('account')
      .select('SUBSTR(account.passwordHash, 5, 2)', 'cost')
      .addSelect('COUNT(*)', 'accounts')
      .groupBy('cost')
      .orderBy('accounts', 'DESC')
      .addOrderBy('cost', 'DESC')
      .limit(1)
      .getRawOne<{ cost: string }>();
    return row && /^\d\d$/.test(row.cost) ? Number(row.cost) : null;
  }

  /** The row as the database has it now, past the cache: for answers that must be the current truth (introspection). */
  findFreshById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /**
   * A page of accounts by id; with `search`, only those whose username or
   * e-mail address contains it, in any case (on the lower-cased keys, so
   * SQLite and PostgreSQL agree; LIKE's wildcards in it are taken literally).
   */
  async findPage(page: number, pageSize: number, search?: string): Promise<UsersPage> {
    const query = this.users.createQueryBuilder('account').orderBy('account.id', 'ASC').skip((page - 1) * pageSize).take(pageSize);
    if (search) {
      const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
      query.where("(LOWER(account.username) LIKE :pattern ESCAPE '\\' OR LOWER(account.email) LIKE :pattern ESCAPE '\\')", { pattern });
    }
    const [items, total] = await query.getManyAndCount();
    return { items, total };
  }

  /** How many admins there are: what the admin console shows beside the last-admin rule (which changeRole and delete enforce). */
  countAdmins(): Promise<number> {
    return this.users.countBy({ role: 'admin' });
  }

  /**
   * A new password: the hash and a new credentials version in one statement,
   * so every session verified under the old one is dead from here on.
   */
  async changePassword(id: number, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash, credentialsVersion: () => 'credentials_version + 1' });
    await this.announce(USER_EVENTS.passwordChanged, id);
  }

  /** Two-factor turned on or off; every cache of the account hears it (Basic credentials are then refused or accepted again). */
  async setTotpEnabled(id: number, totpEnabled: boolean): Promise<void> {
    await this.users.update({ id }, { totpEnabled });
    await this.announce(USER_EVENTS.secondFactorChanged, id);
  }

  /**
   * A new address, unverified (even one verified on another account: it can
   * be stored, never verified here); the same address in another case keeps
   * its verification (it is the same mailbox). Returns the account as stored.
   */
  async changeEmail(id: number, email: string): Promise<User> {
    const key = emailKey(email);
    await this.users
      .createQueryBuilder()
      .update()
      .set({ email, emailKey: key, emailVerifiedAt: () => 'CASE WHEN email_key = :key THEN email_verified_at ELSE NULL END' })
      .where({ id })
      .setParameter('key', key)
      .execute();
    await this.announce(USER_EVENTS.emailChanged, id);
    return this.findByIdOrThrow(id);
  }

  /**
   * The address proven, if it is still the account's (a change since voids
   * the proof) and no other account verified it first; false otherwise. The
   * partial unique index on verified addresses decides a race between two
   * accounts in the UPDATE itself, on every driver and instance.
   */
  async markEmailVerified(id: number, verifiedKey: string): Promise<boolean> {
    let marked: UpdateResult;
    try {
      marked = await this.users.update({ id, emailKey: verifiedKey }, { emailVerifiedAt: new Date() });
    } catch (error) {
      if (isUniqueViolation(error, 'email_key')) return false;
      throw error;
    }
    if (marked.affected) await this.announce(USER_EVENTS.emailChanged, id);
    return Boolean(marked.affected);
  }

  /**
   * The same password at another bcrypt cost (after BCRYPT_ROUNDS changed):
   * not a credentials change. Only if the hash is still the one verified, so a
   * password change made meanwhile is never overwritten.
   */
  async replacePasswordHash(id: number, verifiedHash: string, passwordHash: string): Promise<void> {
    await this.users.update({ id, passwordHash: verifiedHash }, { passwordHash });
    this.cache.delete(id);
  }

  async changeRole(id: number, role: Role, by: Actor): Promise<User> {
    const affected = await this.withAdminsLocked((users) => {
      const update = users.createQueryBuilder().update().set({ role }).where({ id });
      if (role !== 'admin') notTheLastAdmin(update);
      return update.execute();
    });
    if (affected !== 1) await this.explainMiss(id);
    await this.announce(USER_EVENTS.roleChanged, id);
    raiseSecurityEvent(this.events, { type: 'role.changed', subjectId: id, ...by, details: { role } });
    return this.findByIdOrThrow(id);
  }

  /** The user, or 404. */
  async findByIdOrThrow(id: number): Promise<User> {
    return (await this.findById(id)) ?? this.notFound(id);
  }

  /**
   * Deletes the account; its sessions and refresh tokens go with it (ON
   * DELETE CASCADE). ACCOUNT_DELETING's subscribers hear of it first, once the
   * deletion is known to be allowed, and record through the deletion's own
   * transaction (PostgreSQL) what must outlive the sessions. SQLite has no
   * transaction here (see withAdminsLocked), so a concurrent change making
   * this the last admin between the check and the DELETE could leave their
   * records behind a refused deletion; SQLite runs one instance.
   */
  async delete(id: number, by: Actor): Promise<void> {
    const affected = await this.withAdminsLocked(async (users) => {
      const allowed = users.createQueryBuilder().where({ id });
      notTheLastAdmin(allowed);
      if (!(await allowed.getExists())) return { raw: [], affected: 0 };
      await this.events.emitAsync(ACCOUNT_DELETING, new AccountDeletingEvent(id, users.manager));
      const deletion = users.createQueryBuilder().delete().where({ id });
      notTheLastAdmin(deletion);
      return deletion.execute();
    });
    if (affected !== 1) await this.explainMiss(id);
    await this.announce(USER_EVENTS.deleted, id);
    raiseSecurityEvent(this.events, { type: 'account.deleted', subjectId: id, ...by });
  }

  /** Tells every subscriber (caches here, the other instances) and waits for them. */
  private async announce(event: UserEventName, id: number): Promise<void> {
    await this.events.emitAsync(event, new UserChangedEvent(event, id));
  }

  /**
   * Runs a write that may take away an admin. PostgreSQL: in a transaction that
   * first locks every admin row (in id order, so two writers queue rather than
   * deadlock); the second writer then counts after the first has committed.
   * SQLite runs one write at a time, and its one shared connection must not
   * hold a transaction that other requests' statements would fall into.
   */
  private async withAdminsLocked(write: (users: Repository<User>) => Promise<UpdateResult | DeleteResult>): Promise<number | null | undefined> {
    if (this.users.manager.connection.options.type !== 'postgres') return (await write(this.users)).affected;
    return this.users.manager.transaction(async (manager) => {
      await manager.query(`SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE`);
      return (await write(manager.getRepository(User))).affected;
    });
  }

  /** A guarded write changed nothing: either there is no such user, or it is the last admin. */
  private async explainMiss(id: number): Promise<never> {
    if (!(await this.users.existsBy({ id }))) this.notFound(id);
    throw new ConflictException(LAST_ADMIN_MESSAGE);
  }

  private notFound(id: number): never {
    throw new NotFoundException(`There is no user with id ${id}.`);
  }
}
