import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, Not, Repository, type FindOptionsWhere } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { raiseSecurityEvent, type Actor } from '../../security-events/security-event.js';
import { hashOpaqueToken, mintOpaqueToken, opaqueTokenMatches } from '../../tokens/opaque-token.js';
import { addressPolicyOf, type AddressPolicy } from '../../outbound-http/address-policy.js';
import { clientMetadataProblem, isConfidential, usesSecret, responseTypesFor, withDefaults, type ClientChanges, type ClientMetadata, type Registrar } from './client-metadata.js';
import { OAuthClient } from './entities/oauth-client.entity.js';
import { CLIENT_DELETED, ClientDeletedEvent } from './events/client-events.js';

/** What a client_id looks like: the ones Gatehouse makes (22 base64url characters), or any such name up to the column's size. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** 128 random bits: unguessable, though a client_id is no secret (RFC 6749 §2.2). */
const CLIENT_ID_BYTES = 16;
/** Far above the 43 characters of a secret Gatehouse makes: a longer one is wrong without being hashed. */
const MAX_SECRET_LENGTH = 512;
/** Expired clients deleted per sweep: a flood of registrations is worked off over several sweeps. */
const SWEEP_BATCH = 500;
/** Tries of an update that another change overtook, before it gives up with 409. */
const UPDATE_ATTEMPTS = 3;

/** The metadata fields, with the RFC 7591 names the API and the audit trail use. */
const FIELD_NAMES: Record<keyof ClientMetadata, string> = {
  clientName: 'client_name',
  logoUri: 'logo_uri',
  clientUri: 'client_uri',
  redirectUris: 'redirect_uris',
  postLogoutRedirectUris: 'post_logout_redirect_uris',
  grantTypes: 'grant_types',
  responseTypes: 'response_types',
  tokenEndpointAuthMethod: 'token_endpoint_auth_method',
  scope: 'scope',
  applicationType: 'application_type',
  skipConsent: 'skip_consent',
  resources: 'resources',
  backchannelLogoutUri: 'backchannel_logout_uri',
  backchannelLogoutSessionRequired: 'backchannel_logout_session_required',
  requirePushedAuthorizationRequests: 'require_pushed_authorization_requests',
  dpopBoundAccessTokens: 'dpop_bound_access_tokens',
  jwks: 'jwks',
  jwksUri: 'jwks_uri',
};
const METADATA_FIELDS = Object.keys(FIELD_NAMES) as (keyof ClientMetadata)[];

export type NewClient = ClientChanges & Pick<ClientMetadata, 'clientName'>;

/** A client as just stored, with its secret when one was made: shown this once, never again. */
export interface IssuedClient {
  client: OAuthClient;
  clientSecret: string | null;
}

/** How a client came through the registration endpoint (RFC 7591): who registered it, and how long it is kept if it never gets a token. */
export interface Registration {
  registrar: Registrar;
  /** REGISTRATION_TTL for an openly registered client; null: kept until deleted. */
  unusedTtlSeconds: number | null;
}

/** A client registered through the registration endpoint, with its registration access token (RFC 7591 §3.2.1), shown this once. */
export interface RegisteredClient extends IssuedClient {
  registrationAccessToken: string;
}

export interface RotatedSecret {
  client: OAuthClient;
  clientSecret: string;
  /** When the secret before this one stops working (CLIENT_SECRET_GRACE from now). */
  previousSecretExpiresAt: Date;
}

export interface ClientsPage {
  items: OAuthClient[];
  total: number;
}

function metadataOf(client: OAuthClient): ClientMetadata {
  return Object.fromEntries(METADATA_FIELDS.map((field) => [field, client[field]])) as unknown as ClientMetadata;
}

function changedFields(before: ClientMetadata, after: ClientMetadata): (keyof ClientMetadata)[] {
  return METADATA_FIELDS.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
}

/**
 * The client registry: registration, changes, deletion and secrets. Reads go
 * to the database every time (a primary-key lookup per token request), so a
 * deletion, a rotation or a change of redirect URIs counts at once on every
 * instance, with no cache to clear.
 */
@Injectable()
export class ClientsService {
  private readonly secretGraceSeconds: number;
  /** What the URIs Gatehouse calls may name (ALLOW_PRIVATE_CLIENT_URIS, NODE_ENV). */
  private readonly addresses: AddressPolicy;

  constructor(
    @InjectRepository(OAuthClient) private readonly clients: Repository<OAuthClient>,
    private readonly events: EventEmitter2,
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
  ) {
    this.secretGraceSeconds = config.clients.secretGraceSeconds;
    this.addresses = addressPolicyOf(config);
  }

  /**
   * Registers a client (RFC 7591 §2's defaults for what is left out); a
   * confidential one gets a secret, returned this once and stored as its
   * SHA-256. Bad metadata is a 400 and nothing is stored.
   */
  async create(given: NewClient, by: Actor): Promise<IssuedClient> {
    return this.insert(given, 'admin', by, {});
  }

  /**
   * RFC 7591 §3: registers a client through the registration endpoint, with
   * a registration access token (RFC 7592, 256 bits, stored as its SHA-256)
   * that reads, replaces and deletes it. A self-registered client is held to
   * the rules of `self` (never first-party, never the password grant) and,
   * with a TTL, is deleted if it gets no token within it (sweepUnused).
   */
  async register(given: NewClient, registration: Registration, by: Actor): Promise<RegisteredClient> {
    const registrationAccessToken = mintOpaqueToken();
    const unusedExpiresAt = registration.unusedTtlSeconds === null ? null : new Date(Date.now() + registration.unusedTtlSeconds * 1000);
    const issued = await this.insert(given, registration.registrar, by, { registrationTokenHash: hashOpaqueToken(registrationAccessToken), unusedExpiresAt }, 'client.registered');
    return { ...issued, registrationAccessToken };
  }

  private async insert(given: NewClient, registrar: Registrar, by: Actor, columns: Partial<OAuthClient>, type: 'client.created' | 'client.registered' = 'client.created'): Promise<IssuedClient> {
    const metadata = withDefaults(given);
    this.refuseProblems(metadata, registrar);
    const clientSecret = usesSecret(metadata) ? mintOpaqueToken() : null;
    const client = this.clients.create({
      ...metadata,
      clientId: mintOpaqueToken(CLIENT_ID_BYTES),
      secretHash: clientSecret === null ? null : hashOpaqueToken(clientSecret),
      previousSecretHash: null,
      previousSecretExpiresAt: null,
      registrationTokenHash: null,
      unusedExpiresAt: null,
      ...columns,
    });
    // One INSERT, atomic by itself: on SQLite's one shared connection a transaction could swallow other requests' statements.
    const saved = await this.clients.save(client, { transaction: false });
    raiseSecurityEvent(this.events, {
      type,
      ...by,
      details: { clientId: saved.clientId, clientName: saved.clientName, grantTypes: saved.grantTypes.join(' '), tokenEndpointAuthMethod: saved.tokenEndpointAuthMethod, skipConsent: saved.skipConsent },
    });
    return { client: saved, clientSecret };
  }

  /**
   * The client `registrationAccessToken` manages (RFC 7592 §2), or null: no
   * such client (or deleted), no token, or another one. Compared in constant time.
   */
  async findByRegistrationToken(clientId: string, registrationAccessToken: string | null): Promise<OAuthClient | null> {
    const client = await this.findActive(clientId);
    if (!client || typeof registrationAccessToken !== 'string' || registrationAccessToken.length > MAX_SECRET_LENGTH) return null;
    return opaqueTokenMatches(registrationAccessToken, client.registrationTokenHash) ? client : null;
  }

  /**
   * RFC 7592 §2.2: the given metadata replaces all of the client's (a field
   * left out takes its default, so it is removed), checked as `registrar`
   * would register it: a client may keep what an admin allowed it, not gain it.
   */
  async replace(clientId: string, given: NewClient, registrar: Registrar, by: Actor): Promise<IssuedClient> {
    return this.update(clientId, withDefaults(given), by, registrar);
  }

  /** A client got a token: it is in use, and no longer expires unused. Nearly always a no-op (no row has a deadline). */
  async markUsed(clientId: string): Promise<void> {
    await this.clients.update({ clientId, unusedExpiresAt: Not(IsNull()) }, { unusedExpiresAt: null });
  }

  /**
   * Deletes the openly registered clients that got no token before their
   * REGISTRATION_TTL ran out, each as a deletion (its codes and consents go),
   * audited as `client.expired`. A client that gets its first token meanwhile
   * is kept: the DELETE says the deadline again. Returns how many went.
   */
  async sweepUnused(now = new Date()): Promise<number> {
    const due = await this.clients.find({ select: { clientId: true }, where: { unusedExpiresAt: LessThan(now) }, take: SWEEP_BATCH });
    let deleted = 0;
    for (const { clientId } of due) {
      if (await this.deleteWhere(clientId, { unusedExpiresAt: LessThan(now) }, 'client.expired', { request: null })) deleted++;
    }
    return deleted;
  }

  /**
   * A client Gatehouse itself needs (Swagger UI's), under a fixed id: created,
   * or brought up to date with `metadata` (PUBLIC_URL may have changed), at
   * start-up. Public and secretless only. Several instances starting at once
   * may race to create it: the loser finds it made.
   */
  async ensureBuiltIn(clientId: string, given: NewClient): Promise<OAuthClient> {
    const metadata = withDefaults(given);
    this.refuseProblems(metadata);
    if (isConfidential(metadata)) throw new Error('a built-in client is public');
    const existing = await this.findActive(clientId);
    if (existing && changedFields(metadataOf(existing), metadata).length === 0) return existing;
    await this.clients.upsert({ ...metadata, clientId, secretHash: null, previousSecretHash: null, previousSecretExpiresAt: null }, { conflictPaths: ['clientId'] });
    return (await this.findActive(clientId))!;
  }

  /** Oldest first. */
  async findPage(page: number, pageSize: number): Promise<ClientsPage> {
    const [items, total] = await this.clients.findAndCount({ order: { createdAt: 'ASC', clientId: 'ASC' }, skip: (page - 1) * pageSize, take: pageSize });
    return { items, total };
  }

  /** The client as registered now, or null (no such client, or deleted): what every authentication and authorization reads. */
  async findActive(clientId: string): Promise<OAuthClient | null> {
    if (typeof clientId !== 'string' || !CLIENT_ID_PATTERN.test(clientId)) return null;
    return this.clients.findOneBy({ clientId });
  }

  /** The client, or 404. */
  async findOrThrow(clientId: string): Promise<OAuthClient> {
    return (await this.findActive(clientId)) ?? notFound(clientId);
  }

  /**
   * Whether `secret` is the client's secret, or its previous one while that
   * is within its grace period. Both are compared, in constant time, whatever
   * the first comparison says.
   */
  verifySecret(client: OAuthClient, secret: string): boolean {
    if (typeof secret !== 'string' || secret.length > MAX_SECRET_LENGTH) return false;
    const current = opaqueTokenMatches(secret, client.secretHash);
    const previousValid = client.previousSecretExpiresAt !== null && client.previousSecretExpiresAt.getTime() > Date.now();
    const previous = opaqueTokenMatches(secret, previousValid ? client.previousSecretHash : null);
    return current || previous;
  }

  /**
   * PATCH: the given fields replace the stored ones, and the result is checked
   * as a whole, as a new registration would be. It is written only over the
   * revision that was read and checked: if another change came first, the
   * update starts again from the new state. A client made confidential gets a
   * secret (returned this once); one made public loses its secrets.
   */
  async update(clientId: string, changes: ClientChanges, by: Actor, registrar: Registrar = 'admin'): Promise<IssuedClient> {
    const given = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as ClientChanges;
    for (let attempt = 1; ; attempt++) {
      const current = await this.findOrThrow(clientId);
      const before = metadataOf(current);
      const after: ClientMetadata = { ...before, ...given };
      if (given.grantTypes !== undefined && given.responseTypes === undefined && Array.isArray(after.grantTypes)) after.responseTypes = responseTypesFor(after.grantTypes);
      this.refuseProblems(after, gainsAdminOnly(before, after) ? registrar : 'admin');
      const fields = changedFields(before, after);
      if (fields.length === 0) return { client: current, clientSecret: null };

      const { columns: secretColumns, clientSecret } = secretChange(current, after);
      const { affected } = await this.clients
        .createQueryBuilder()
        .update()
        .set({ ...after, ...secretColumns, revision: () => 'revision + 1' })
        .where({ clientId, revision: current.revision })
        .execute();
      if (affected === 1) {
        raiseSecurityEvent(this.events, { type: 'client.updated', ...by, details: { clientId, fields: fields.map((field) => FIELD_NAMES[field]).join(' '), secretIssued: clientSecret !== null } });
        return { client: await this.findOrThrow(clientId), clientSecret };
      }
      if (attempt === UPDATE_ATTEMPTS) throw new ConflictException('The client kept changing while this update was being made; try again.');
    }
  }

  /**
   * A new secret, returned this once. The one it replaces keeps working for
   * CLIENT_SECRET_GRACE, so the client's deployments can take the new one
   * without downtime; only one previous secret is kept. One UPDATE moves the
   * current hash to the previous one, so two rotations at once both leave a
   * working secret behind.
   */
  async rotateSecret(clientId: string, by: Actor): Promise<RotatedSecret> {
    if (!CLIENT_ID_PATTERN.test(clientId)) notFound(clientId);
    const clientSecret = mintOpaqueToken();
    // A whole second, as the answer gives it (seconds since the epoch, like RFC 7591's other times): at least the grace, and none at all for 0.
    const now = Date.now() / 1000;
    const previousSecretExpiresAt = new Date((this.secretGraceSeconds === 0 ? Math.floor(now) : Math.ceil(now + this.secretGraceSeconds)) * 1000);
    const { affected } = await this.clients
      .createQueryBuilder()
      .update()
      .set({ previousSecretHash: () => 'secret_hash', previousSecretExpiresAt, secretHash: hashOpaqueToken(clientSecret), revision: () => 'revision + 1' })
      .where({ clientId })
      .andWhere('token_endpoint_auth_method IN (:...withSecret)', { withSecret: ['client_secret_basic', 'client_secret_post'] })
      .execute();
    if (affected !== 1) {
      const client = await this.findOrThrow(clientId);
      throw new BadRequestException(
        client.tokenEndpointAuthMethod === 'none'
          ? 'The client is public (token_endpoint_auth_method none): it has no secret to rotate.'
          : `The client authenticates with ${client.tokenEndpointAuthMethod} (its keys): it has no secret to rotate.`,
      );
    }
    raiseSecurityEvent(this.events, { type: 'client.secret-rotated', ...by, details: { clientId, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() } });
    return { client: await this.findOrThrow(clientId), clientSecret, previousSecretExpiresAt };
  }

  private refuseProblems(metadata: ClientMetadata, registrar: Registrar = 'admin'): void {
    const problem = clientMetadataProblem(metadata, registrar, this.addresses);
    if (problem) throw new BadRequestException(problem);
  }

  /** Deletes the client; CLIENT_DELETED's subscribers end what it held before this returns. */
  async delete(clientId: string, by: Actor): Promise<void> {
    if (!CLIENT_ID_PATTERN.test(clientId) || !(await this.deleteWhere(clientId, {}, 'client.deleted', by))) notFound(clientId);
  }

  private async deleteWhere(clientId: string, where: FindOptionsWhere<OAuthClient>, type: 'client.deleted' | 'client.expired', by: Actor): Promise<boolean> {
    const { affected } = await this.clients.createQueryBuilder().delete().where({ ...where, clientId }).execute();
    if (affected !== 1) return false;
    await this.events.emitAsync(CLIENT_DELETED, new ClientDeletedEvent(clientId));
    raiseSecurityEvent(this.events, { type, ...by, details: { clientId } });
    return true;
  }
}

/** The secret columns after a change of token_endpoint_auth_method between public and confidential, and the new secret if one was made. */
function secretChange(current: OAuthClient, after: ClientMetadata): { columns: Partial<OAuthClient>; clientSecret: string | null } {
  const [was, is] = [usesSecret(current), usesSecret(after)];
  if (was === is) return { columns: {}, clientSecret: null };
  const clientSecret = is ? mintOpaqueToken() : null;
  return { columns: { secretHash: clientSecret === null ? null : hashOpaqueToken(clientSecret), previousSecretHash: null, previousSecretExpiresAt: null }, clientSecret };
}

/** Whether `after` allows what only an admin may (first-party, the password grant) and `before` did not. */
function gainsAdminOnly(before: ClientMetadata, after: ClientMetadata): boolean {
  const passwordOf = (metadata: ClientMetadata) => Array.isArray(metadata.grantTypes) && metadata.grantTypes.includes('password');
  return (after.skipConsent === true && !before.skipConsent) || (passwordOf(after) && !passwordOf(before));
}

function notFound(clientId: string): never {
  throw new NotFoundException(CLIENT_ID_PATTERN.test(clientId) ? `There is no client with client_id ${clientId}.` : 'There is no such client.');
}
