import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
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

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

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

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOneBy({ usernameKey: usernameKey(username) });
  }

  /** The lookup behind every authenticated request (a cache can sit here later). */
  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  async findPage(page: number, pageSize: number): Promise<UsersPage> {
    const [items, total] = await this.users.findAndCount({ order: { id: 'ASC' }, skip: (page - 1) * pageSize, take: pageSize });
    return { items, total };
  }

  async updatePasswordHash(id: number, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash });
  }

  async changeRole(id: number, role: Role): Promise<User> {
    const update = this.users.createQueryBuilder().update().set({ role }).where({ id });
    if (role !== 'admin') notTheLastAdmin(update);
    if ((await update.execute()).affected !== 1) await this.explainMiss(id);
    return (await this.findById(id)) ?? this.notFound(id);
  }

  /** Deletes the account; its refresh tokens go with it (ON DELETE CASCADE). */
  async delete(id: number): Promise<void> {
    const deletion = this.users.createQueryBuilder().delete().where({ id });
    notTheLastAdmin(deletion);
    if ((await deletion.execute()).affected !== 1) await this.explainMiss(id);
  }

  /** A guarded write changed nothing: either there is no such user, or it is the last admin. */
  private async explainMiss(id: number): Promise<never> {
    if (!(await this.findById(id))) this.notFound(id);
    throw new ConflictException(LAST_ADMIN_MESSAGE);
  }

  private notFound(id: number): never {
    throw new NotFoundException(`There is no user with id ${id}.`);
  }
}
