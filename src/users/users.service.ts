import { ConflictException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isUniqueViolation } from '../database/database-errors.js';
import { usernameKey, type Role } from './account-rules.js';
import { User } from './entities/user.entity.js';

export interface NewUser {
  username: string;
  passwordHash: string;
  role?: Role;
}

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Inserts the account; the unique index, not a prior read, decides a race for the name. */
  async create({ username, passwordHash, role = 'user' }: NewUser): Promise<User> {
    const user = this.users.create({ username, usernameKey: usernameKey(username), passwordHash, role });
    try {
      return await this.users.save(user);
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
}
