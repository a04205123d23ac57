import { SetMetadata } from '@nestjs/common';

export const CLIENTS_ALLOWED_KEY = 'clientsAllowed';

/**
 * A route that answers any valid token, also one issued to a client without
 * Gatehouse's own API scope, or a client_credentials token (its handler reads
 * @CurrentPrincipal()). Every other protected route needs a person acting on
 * Gatehouse's API: otherwise 403 insufficient_scope (RFC 6750 §3.1).
 */
export const ClientsAllowed = () => SetMetadata(CLIENTS_ALLOWED_KEY, true);
