import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { UsersController } from './users.controller.js';

/**
 * Account management for admins (`/users`): the HTTP routes over UsersService.
 * Apart from the accounts themselves (users/), so that auth/ can depend on
 * users/ while these routes depend on auth/'s access decorators, with no loop.
 */
@Module({
  imports: [UsersModule],
  controllers: [UsersController],
})
export class AdminModule {}
