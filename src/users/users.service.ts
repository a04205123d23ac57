import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { Repository, type WhereExpressionBuilder } from 'typeorm';
import { isUniqueViolation } from '../database/database-errors.js';
import { usernameKey, type Role } from './account-rules.js';
import { User } from './entities/user.entity.js';

export interface NewUser {
  username: string;
  passwordHash: string;
  role?: Role;
}

export interface UsersPage {
  items: User[];
  total: number;
}

export const LAST_ADMIN_MESSAGE = 'The last admin cannot be demoted or deleted; make another admin first.';

/**
 * Holds unless the row is the last admin. Part of the same UPDATE or DELETE,
 * so the count and the change are one statement: two admins demoting each
 * other at once cannot leave none.
 */
function notTheLastAdmin(query: WhereExpressionBuilder): void {
  query.andWhere(`(role <> 'admin' OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)`);
}

/** How long a user read for authentication may be reused; changes through this service invalidate it at once. */
const USER_CACHE_TTL_MS = 5_000;

/** Where a change was made: on this instance, or on another one (heard through Redis). */
export type ChangeOrigin = 'local' | 'remote';
export type UserChangeListener = (userId: number, origin: ChangeOrigin) => void;

@Injectable()
export class UsersService {
  /** Users by id, as every authenticated request reads them. */
  private readonly cache = new LRUCache<number, User>({ max: 10_000, ttl: USER_CACHE_TTL_MS });
  private readonly changeListeners: UserChangeListener[] = [];

  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Called with the user's id whenever its password, role or existence changes (caches listen). */
  onUserChanged(listener: UserChangeListener): void {
    this.changeListeners.push(listener);
  }

  /** Forgets what this instance holds about the user: its cache and every listener's. */
  userChanged(id: number, origin: ChangeOrigin = 'local'): void {
    this.cache.delete(id);
    for (const listener of this.changeListeners) listener(id, origin);
  }

  /**
   * Inserts the account; the unique index, not a prior read, decides a race for the name.
   * `transaction: false`: TypeORM's SQLite driver shares one connection, so a
   * save() racing another would become a SAVEPOINT inside the other's
   * transaction: answered 201, yet not committed, and undone if the other
   * rolls back. One INSERT is atomic on its own.
   */
  async create({ username, passwordHash, role = 'user' }: NewUser): Promise<User> {
    const user = this.users.create({ username, usernameKey: usernameKey(username), passwordHash, role });
    try {
      return await this.users.save(user, { transaction: false });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException('Username is already taken.');
      throw error;
    }
  }

  /** Also primes the by-id cache: the request that follows a login or a Basic check reads the user by id. */
  async findByUsername(username: string): Promise<User | null> {
    const user = await this.users.findOneBy({ usernameKey: usernameKey(username) });
    if (user) this.cache.set(user.id, user);
    return user;
  }

  /** The lookup behind every authenticated request, cached for a few seconds. */
  async findById(id: number): Promise<User | null> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const user = await this.users.findOneBy({ id });
    if (user) this.cache.set(id, user);
    return user;
  }

  async findPage(page: number, pageSize: number): Promise<UsersPage> {
    const [items, total] = await this.users.findAndCount({ order: { id: 'ASC' }, skip: (page - 1) * pageSize, take: pageSize });
    return { items, total };
  }

  async updatePasswordHash(id: number, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash });
    this.userChanged(id);
  }

  async changeRole(id: number, role: Role): Promise<User> {
    const update = this.users.createQueryBuilder().update().set({ role }).where({ id });
    if (role !== 'admin') notTheLastAdmin(update);
    if ((await update.execute()).affected !== 1) await this.explainMiss(id);
    this.userChanged(id);
    return (await this.findById(id)) ?? this.notFound(id);
  }

  /** Deletes the account; its refresh tokens go with it (ON DELETE CASCADE). */
  async delete(id: number): Promise<void> {
    const deletion = this.users.createQueryBuilder().delete().where({ id });
    notTheLastAdmin(deletion);
    if ((await deletion.execute()).affected !== 1) await this.explainMiss(id);
    this.userChanged(id);
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
