import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { readAuthorizationHeader } from '../../access/authorization-header.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import type { RequestContext } from '../../http/request-context.js';
import type { Actor } from '../../security-events/security-event.js';
import { RateLimitsService } from '../../throttle/rate-limits.service.js';
import type { Registrar } from '../clients/client-metadata.js';
import { ClientsService } from '../clients/clients.service.js';
import { metadataOfBody, type CreateClientDto } from '../clients/dto/create-client.dto.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { oauthError } from '../oauth-error.exception.js';
import { RegistrationResponseDto, type ReplaceRegistrationDto } from './dto/registration.dto.js';

/** Where RFC 7591 registration lives; a client's registration_client_uri is below it. */
export const REGISTRATION_PATH = '/register';

/** A client, and the registration access token that was presented for it. */
export interface ManagedClient {
  client: OAuthClient;
  token: string;
}

const INVALID_TOKEN = 'The registration access token is missing, wrong, or its client was deleted.';

/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592) over
 * the registry: the metadata rules and the secrets are ClientsService's,
 * the same as the admin API's; this adds the registration access token, the
 * throttle of open registration, and the answers of those RFCs.
 */
@Injectable()
export class RegistrationService {
  private readonly byAddress: RateLimiterAbstract;
  private readonly ttlSeconds: number;
  private readonly publicUrl: string;

  constructor(
    private readonly clients: ClientsService,
    private readonly limits: RateLimitsService,
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
  ) {
    this.byAddress = limits.limiter('client_registrations_address', config.throttle.registrationsPerAddress);
    this.ttlSeconds = config.clients.registrationTtlSeconds;
    this.publicUrl = config.publicUrl;
  }

  /**
   * RFC 7591 §3.1. `self` (CLIENT_REGISTRATION=open): anyone, counted per
   * address (THROTTLE_REGISTRATIONS per THROTTLE_WINDOW, every attempt
   * counts), never first-party or the password grant, deleted after
   * REGISTRATION_TTL if it gets no token. `admin`: the caller is an admin.
   */
  async register(body: CreateClientDto, registrar: Registrar, by: Actor & { request: RequestContext }): Promise<RegistrationResponseDto> {
    if (registrar === 'self') await this.limits.countAll([[this.byAddress, by.request.clientAddress, 'client-registration']], 'Too many client registrations from this address', by.request);
    const registered = await asRegistrationError(
      this.clients.register({ ...metadataOfBody(body), clientName: body.client_name }, { registrar, unusedTtlSeconds: registrar === 'self' ? this.ttlSeconds : null }, by),
    );
    return RegistrationResponseDto.of(registered, registered.registrationAccessToken, this.clientUri(registered.client));
  }

  /** RFC 7592 §2.1. */
  read({ client, token }: ManagedClient): RegistrationResponseDto {
    return RegistrationResponseDto.of({ client, clientSecret: null }, token, this.clientUri(client));
  }

  /**
   * RFC 7592 §2.2: the body replaces the metadata (held to the rules of a
   * self-registration: what an admin allowed may be kept, not gained); the
   * secret is not the client's to change, and a client_id that is not this
   * one's is refused.
   */
  async replace({ client, token }: ManagedClient, body: ReplaceRegistrationDto, request: RequestContext): Promise<RegistrationResponseDto> {
    const clientId = client.clientId;
    if (body.client_id !== client.clientId) throw oauthError('invalid_client_metadata', 'client_id must be the client_id of the registration_client_uri (RFC 7592 §2.2).');
    if (body.client_secret !== undefined && !this.clients.verifySecret(client, body.client_secret)) {
      throw oauthError('invalid_client_metadata', 'client_secret must be the client’s current secret: a client cannot choose its secret (RFC 7592 §2.2).');
    }
    const replaced = await asRegistrationError(this.clients.replace(clientId, { ...metadataOfBody(body), clientName: body.client_name }, 'self', { request }));
    return RegistrationResponseDto.of(replaced, token, this.clientUri(replaced.client));
  }

  /** RFC 7592 §2.3: the client goes, and every token issued to it stops working (as an admin's deletion). */
  async delete({ client }: ManagedClient, request: RequestContext): Promise<void> {
    await this.clients.delete(client.clientId, { request }).catch((error: unknown) => {
      // Deleted meanwhile (by a concurrent DELETE): RFC 7592 §2.3's answer for a client that is gone.
      throw error instanceof NotFoundException ? oauthError('invalid_token', INVALID_TOKEN) : error;
    });
  }

  /** The client the Bearer registration access token manages, or RFC 6750's 401 invalid_token (RFC 7592 §2). */
  async managed(clientId: string, authorization: string | undefined): Promise<ManagedClient> {
    const presented = readAuthorizationHeader(authorization);
    const token = presented.scheme === 'bearer' ? presented.token : null;
    const client = token === null ? null : await this.clients.findByRegistrationToken(clientId, token);
    if (!client || token === null) throw oauthError('invalid_token', INVALID_TOKEN);
    return { client, token };
  }

  private clientUri(client: OAuthClient): string {
    return `${this.publicUrl}${REGISTRATION_PATH}/${client.clientId}`;
  }
}

/**
 * RFC 7591 §3.2.2: the registry's refusals (messages starting with the
 * error code) as `{error, error_description}`.
 */
async function asRegistrationError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    const message = String((error.getResponse() as { message?: unknown }).message ?? error.message);
    const code = message.startsWith('invalid_redirect_uri') ? 'invalid_redirect_uri' : 'invalid_client_metadata';
    throw oauthError(code, message.replace(/^invalid_(redirect_uri|client_metadata): /, ''));
  }
}
