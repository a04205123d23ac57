import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '../../account-rules/account-rules.js';
import type { User } from '../entities/user.entity.js';

/** What the API shows of an account: never the hash. */
export class UserResponseDto {
  @ApiProperty({ example: 1 })
  id: number;

  @ApiProperty({ example: 'alice', description: 'As registered (case kept).' })
  username: string;

  @ApiProperty({ enum: ROLES, example: 'user' })
  role: Role;

  @ApiProperty({ example: '2026-11-28T18:00:00.000Z' })
  createdAt: string;

  static from(user: User): UserResponseDto {
    return Object.assign(new UserResponseDto(), {
      id: user.id,
      username: user.username,
      role: user.role,
      createdAt: user.createdAt.toISOString(),
    });
  }
}
