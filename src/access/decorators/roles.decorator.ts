import { SetMetadata } from '@nestjs/common';
import type { Role } from '../../account-rules/account-rules.js';

export const ROLES_KEY = 'roles';

/** The roles a route admits; RolesGuard enforces it. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
