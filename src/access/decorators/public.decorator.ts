import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'isPublic';

/**
 * Every route is authenticated unless it says this (AuthenticatedGuard is
 * global), so forgetting a decorator closes a route rather than opening it.
 */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
