import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { PasswordsService } from './passwords.service.js';

/** bcrypt in a worker pool, with bounded admission: for logins, registration, the CLI and the bootstrap admin. */
@Module({
  imports: [UsersModule],
  providers: [PasswordsService],
  exports: [PasswordsService],
})
export class PasswordsModule {}
