import type { EntityManager } from 'typeorm';

/**
 * An account is about to be deleted, and will be: it exists and is not the
 * last admin. Emitted with emitAsync inside the deletion (on PostgreSQL its
 * transaction, `manager`), before the DELETE whose ON DELETE CASCADE takes
 * the account's sessions: what must outlive them is recorded here, through
 * `manager`, so that it is committed with the deletion or not at all.
 * Not one of USER_EVENTS (`user.*`): nothing broadcasts it, and no cache
 * drops anything yet.
 */
export const ACCOUNT_DELETING = 'account.deleting';
export class AccountDeletingEvent {
  constructor(
    readonly userId: number,
    readonly manager: EntityManager,
  ) {}
}
