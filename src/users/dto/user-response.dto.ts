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

  @ApiProperty({ type: String, nullable: true, example: 'alice@example.com', description: 'As given (case kept); null when the account has none.' })
  email: string | null;

  @ApiProperty({ example: false, description: 'Whether the owner of the address proved it (a mailed link or code); false again after every change of address. Password resets are mailed only to a verified address.' })
  emailVerified: boolean;

  @ApiProperty({ example: '2026-11-28T18:00:00.000Z' })
  createdAt: string;

  static from(user: User): UserResponseDto {
    return Object.assign(new UserResponseDto(), {
      id: user.id,
      username: user.username,
      role: user.role,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      createdAt: user.createdAt.toISOString(),
    });
  }
}
