/**
 * A client was deleted. Emitted with emitAsync and awaited before the
 * deletion is answered: whoever holds something of the client (its sessions,
 * refresh tokens, consents) ends it then. Those changes live in the database
 * and travel to the other instances as their own events (`sessions.ended`),
 * so this one is not broadcast; nothing caches clients.
 */
export const CLIENT_DELETED = 'client.deleted';

export class ClientDeletedEvent {
  readonly name = CLIENT_DELETED;
  constructor(readonly clientId: string) {}
}
