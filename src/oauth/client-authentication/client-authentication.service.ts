import { HttpException, Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { oauthError } from '../oauth-error.exception.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { BASIC_CHALLENGE, BEARER_CHALLENGE } from '../../http/authentication-challenges.js';
import type { RequestContext } from '../../http/request-context.js';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import { RateLimitsService } from '../../throttle/rate-limits.service.js';
import { ClientsService } from '../clients/clients.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import {
  CLIENT_AUTHENTICATION_METHODS,
  isMalformed,
  type ClientAuthenticationMethod,
  type ClientAuthenticationRequest,
  type PresentedClient,
  type RequestBody,
} from './client-authentication-method.js';

export interface ClientAuthenticationOptions {
  /**
   * Basic credentials whose user name is no client's are a person's (an
   * admin or `service` account at `/auth/introspect`, as before clients
   * existed): null, for the caller's user authentication to judge, rather
   * than `invalid_client`. Only when Basic is all the request presents.
   */
  basicMayBeUser?: boolean;
  /** A public client (`none`) is refused: its client_id proves nothing (introspection, RFC 7662 §2.1). */
  confidentialOnly?: boolean;
}

/** Why an authentication failed, as the audit trail records it. */
type FailureReason = 'malformed' | 'multiple-methods' | 'client-id-mismatch' | 'unknown-client' | 'method-not-registered' | 'wrong-secret' | 'invalid-assertion' | 'public-client';

/** The method that found credentials, and what it found. */
interface Presentation {
  method: ClientAuthenticationMethod;
  presented: PresentedClient;
}

/**
 * Client authentication at the token endpoint (and introspection,
 * revocation): asks every method what the request carries and dispatches to
 * the one that found credentials. Failed attempts are counted per client
 * address (THROTTLE_ADDRESS_FAILURES per THROTTLE_WINDOW, on a counter of
 * their own) before the secret is checked, and audited.
 */
@Injectable()
export class ClientAuthenticationService {
  private readonly failuresByAddress: RateLimiterAbstract;

  constructor(
    @Inject(CLIENT_AUTHENTICATION_METHODS) private readonly methods: ClientAuthenticationMethod[],
    private readonly clients: ClientsService,
    private readonly limits: RateLimitsService,
    private readonly events: EventEmitter2,
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
  ) {
    this.failuresByAddress = limits.limiter('client_auth_fail_address', config.throttle.failuresPerAddress);
  }

  /**
   * The client the request authenticates as, or null when it presents no
   * client authentication at all (no Basic, no `client_id`). Presented but
   * failing — malformed, an unknown client, a wrong secret, a method the
   * client is not registered for, or two methods at once (RFC 6749 §2.3) — is
   * `401 invalid_client`, with the Basic challenge when Basic was sent
   * (RFC 6749 §5.2); `429` once the address has failed too often.
   */
  async authenticate(request: ClientAuthenticationRequest, body: RequestBody, options: ClientAuthenticationOptions = {}): Promise<OAuthClient | null> {
    const found: Presentation[] = this.methods.flatMap((method) => {
      const presented = method.read(request, body ?? {});
      return presented ? [{ method, presented }] : [];
    });
    if (found.length === 0) return null;
    const failure = (reason: FailureReason, description: string, clientId: string | null = null) => this.failure(request, reason, description, clientId);

    const proving = found.filter(({ method }) => method.proves);
    if (proving.length > 1) throw failure('multiple-methods', `The request uses more than one client authentication method (${proving.map(({ method }) => method.name).join(', ')}); use one (RFC 6749 §2.3).`);
    const chosen = proving[0] ?? found[0];
    const userMayHaveSentIt = Boolean(options.basicMayBeUser) && chosen.method.name === 'client_secret_basic' && found.length === 1;
    const { presented } = chosen;
    if (isMalformed(presented)) {
      if (userMayHaveSentIt) return null;
      throw failure('malformed', `${presented.malformed}.`);
    }
    if (found.some((other) => isMalformed(other.presented) || other.presented.clientId !== presented.clientId)) {
      throw failure('client-id-mismatch', 'The client_id in the body is not the client the credentials are for.', presented.clientId);
    }

    const client = await this.clients.findActive(presented.clientId);
    if (!client && userMayHaveSentIt) return null;
    // Counted before the secret is checked, so guesses sent all at once are limited too; a success gives it back.
    const counted = await this.limits.countAll([[this.failuresByAddress, request.ip, 'client-address']], 'Too many failed client authentications from this address', contextOf(request));
    if (!client) throw failure('unknown-client', 'Client authentication failed: unknown client or wrong secret.', presented.clientId);
    // A public client's client_id in Basic with an empty password is what Swagger UI's password form
    // sends (its client_id prefilled with gatehouse-docs by initOAuth, "Authorization header" by
    // default): it proves as little as `none`'s client_id in the body, and is taken as that. A
    // password sent for a public client is still refused below: a secret it cannot have.
    const publicClientInBasic = client.tokenEndpointAuthMethod === 'none' && chosen.method.name === 'client_secret_basic' && presented.secret === '';
    if (!publicClientInBasic && client.tokenEndpointAuthMethod !== chosen.method.name) {
      throw failure('method-not-registered', `The client is registered for ${client.tokenEndpointAuthMethod}, not ${chosen.method.name}.`, client.clientId);
    }
    if (!publicClientInBasic && !(await chosen.method.verify(client, presented))) {
      if (presented.assertion !== undefined) {
        throw failure('invalid-assertion', 'Client authentication failed: the client_assertion is not valid (signature, iss, sub, aud, exp or jti), or was already used.', client.clientId);
      }
      throw failure('wrong-secret', 'Client authentication failed: unknown client or wrong secret.', client.clientId);
    }
    // Anyone can name a public client (the built-in gatehouse-docs is in every install): where the
    // endpoint would tell them about any token, naming one is no authentication at all.
    if (options.confidentialOnly && client.tokenEndpointAuthMethod === 'none') {
      throw failure('public-client', 'A public client cannot use this endpoint: it needs a confidential client with its secret.', client.clientId);
    }
    await this.limits.giveBack(counted);
    return client;
  }

  /** The 401 invalid_client, audited. */
  private failure(request: ClientAuthenticationRequest, reason: FailureReason, description: string, clientId: string | null): HttpException {
    raiseSecurityEvent(this.events, { type: 'client.authentication-failed', outcome: 'failure', request: contextOf(request), details: { clientId, reason } });
    const basicSent = /^basic(\s|$)/i.test(request.headers.authorization ?? '');
    return oauthError('invalid_client', description, {}, { basicChallenge: basicSent });
  }
}

function contextOf(request: ClientAuthenticationRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return { clientAddress: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null, requestId: request.id };
}
