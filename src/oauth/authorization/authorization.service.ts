import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { HttpException } from '@nestjs/common';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import type { RequestContext } from '../../http/request-context.js';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { ClientsService } from '../clients/clients.service.js';
import { redirectUriMatches } from '../clients/redirect-uris.js';
import { grantedResource, grantedScopes } from '../grants/scopes.js';
import { AuthorizationCodesService } from './authorization-codes.service.js';
import { ConsentsService } from './consents.service.js';
import { oauthError } from '../oauth-error.exception.js';
import { AUTHORIZATION_PARAMETERS } from './dto/authorization-request.dto.js';
import { PUSHED_REQUEST_TTL_SECONDS, PushedAuthorizationRequestsService, type PushedRequest } from './pushed-authorization-requests.service.js';

/** An error the redirect URI receives (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
export type AuthorizationErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required';

/** A request checked up to the redirect URI and beyond: what every step (login, second factor, consent) continues with. */
export interface ValidatedAuthorization {
  client: OAuthClient;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  codeChallenge: string;
  nonce: string | null;
  prompt: Set<string>;
  maxAge: number | null;
  loginHint: string | undefined;
  resource: string | null;
  /** RFC 9449 §10: the thumbprint of the DPoP key the code will be bound to; null: not bound. */
  dpopJkt: string | null;
  /** The parameters as sent, for the hidden fields of the next page (re-checked when it comes back); for a pushed request only `client_id` and `request_uri`. */
  parameters: Record<string, string>;
  /** The pushed request (RFC 9126) this came from, spent when the flow ends in a code or a refusal; null: sent directly. */
  pushedReference: string | null;
}

/**
 * Where a request is checked: `push` at the PAR endpoint (the client already
 * authenticated), `start` at the authorization endpoint (claims a pushed
 * request), `continue` on the hosted pages' forms (reads it again).
 */
export type AuthorizationStage = 'push' | 'start' | 'continue';

/** RFC 9126 §2.2: the PAR endpoint's answer. */
export interface PushedAuthorizationResponse {
  request_uri: string;
  expires_in: number;
}

/** What the authorization endpoint does next. */
export type AuthorizationStep =
  | { step: 'login'; authorization: ValidatedAuthorization }
  | { step: 'consent'; authorization: ValidatedAuthorization; session: Session }
  | { step: 'redirect'; location: string };

/** A redirect to the client carrying an error: thrown inside the checks, turned into a 303 by the controller. */
export class AuthorizationRedirect extends Error {
  constructor(
    readonly location: string,
    readonly error: AuthorizationErrorCode,
    readonly description: string,
  ) {
    super('redirect to the client');
  }
}

const UNUSABLE_REQUEST_URI = 'invalid_request_uri: this request_uri is unknown, expired or already used (RFC 9126 §4). Go back to the application and start again.';

/** RFC 7636 §4.2: S256 challenges are 43 base64url characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 9449 §10: a JWK SHA-256 thumbprint (RFC 7638), 43 base64url characters. */
const JWK_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
const PROMPTS = new Set(['none', 'login', 'consent']);
const MAX_PARAMETER_LENGTH = 2048;

/**
 * The authorization endpoint's logic (RFC 6749 §4.1, OAuth 2.1, RFC 9700):
 * which client, which redirect URI (exact match; never a redirect to one that
 * is not registered), PKCE S256 for every client, scope, resource, prompt and
 * max_age; then whether the person must log in, must consent, or gets a code.
 * Every response to the redirect URI carries `iss` (RFC 9207) and `state`.
 */
@Injectable()
export class AuthorizationService {
  constructor(
    private readonly clients: ClientsService,
    private readonly codes: AuthorizationCodesService,
    private readonly consents: ConsentsService,
    private readonly pushedRequests: PushedAuthorizationRequestsService,
    private readonly events: EventEmitter2,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /**
   * Checks the request. Until the client and redirect URI are known, errors
   * are a 400 page (RFC 6749 §4.1.2.1: MUST NOT redirect); afterwards they
   * go to the redirect URI.
   */
  async validate(sent: Record<string, unknown>, stage: AuthorizationStage = 'start'): Promise<ValidatedAuthorization> {
    const pushed = await this.pushedRequestOf(sent, stage);
    // RFC 9126 §4: with a request_uri, the pushed parameters are the request; of the rest only client_id counts (it matched above).
    const raw = pushed ? { ...pushed.parameters, client_id: sent.client_id } : sent;
    const parameters: Record<string, string> = {};
    const repeated: string[] = [];
    for (const name of AUTHORIZATION_PARAMETERS) {
      const value = raw[name];
      if (value === undefined) continue;
      // RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
      if (typeof value !== 'string') repeated.push(name);
      else parameters[name] = value;
    }
    if (repeated.includes('client_id') || repeated.includes('redirect_uri')) throw new BadRequestException('client_id and redirect_uri may each be sent only once.');
    const client = parameters.client_id ? await this.clients.findActive(parameters.client_id) : null;
    if (!client) throw new BadRequestException('Unknown client: the application that sent you here is not registered with this server (client_id).');
    const redirectUri = this.redirectUriOf(client, parameters.redirect_uri);
    const state = parameters.state;
    const fail = (error: AuthorizationErrorCode, description: string) => new AuthorizationRedirect(this.errorLocation(redirectUri, state, error, description), error, description);

    // RFC 9126 §5 (REQUIRE_PAR) and §6 (the client's require_pushed_authorization_requests).
    if (stage !== 'push' && !pushed && (this.config.oauth.requirePushedAuthorizationRequests || client.requirePushedAuthorizationRequests)) {
      throw fail('invalid_request', 'Authorization requests must be pushed first (PAR, RFC 9126): send only client_id and the request_uri from the pushed_authorization_request_endpoint.');
    }
    if (repeated.length) throw fail('invalid_request', `These parameters were sent more than once: ${repeated.join(', ')}.`);
    const tooLong = Object.entries(parameters).find(([, value]) => value.length > MAX_PARAMETER_LENGTH);
    if (tooLong) throw fail('invalid_request', `${tooLong[0]} is too long.`);
    if (parameters.response_type === undefined) throw fail('invalid_request', 'response_type is required.');
    if (parameters.response_type !== 'code') throw fail('unsupported_response_type', 'Only response_type=code is supported.');
    if (!client.grantTypes.includes('authorization_code')) throw fail('unauthorized_client', 'The client is not registered for the authorization code flow.');
    // RFC 9700 §2.1.1, OAuth 2.1 §4.1.1: PKCE for every client, S256 only (plain would give the challenge away).
    if (parameters.code_challenge === undefined) throw fail('invalid_request', 'code_challenge is required (PKCE, S256).');
    if (parameters.code_challenge_method !== 'S256') throw fail('invalid_request', 'code_challenge_method must be S256.');
    if (!S256_CHALLENGE.test(parameters.code_challenge)) throw fail('invalid_request', 'code_challenge must be 43 base64url characters (S256).');
    if (parameters.dpop_jkt !== undefined && !JWK_THUMBPRINT.test(parameters.dpop_jkt)) throw fail('invalid_request', 'dpop_jkt must be a JWK SHA-256 thumbprint (43 base64url characters, RFC 9449 §10).');
    const prompt = new Set((parameters.prompt ?? '').split(' ').filter(Boolean));
    if ([...prompt].some((value) => !PROMPTS.has(value))) throw fail('invalid_request', 'prompt may be none, login or consent.');
    if (prompt.has('none') && prompt.size > 1) throw fail('invalid_request', 'prompt=none cannot be combined with other values (OIDC Core §3.1.2.1).');
    let maxAge: number | null = null;
    if (parameters.max_age !== undefined) {
      if (!/^\d{1,9}$/.test(parameters.max_age)) throw fail('invalid_request', 'max_age must be a number of seconds.');
      maxAge = Number(parameters.max_age);
    }
    const scopes = this.orRedirect(() => grantedScopes(client, parameters.scope, true), fail);
    const resource = this.orRedirect(() => grantedResource(client, parameters.resource), fail);
    return {
      client,
      redirectUri,
      state,
      scopes,
      codeChallenge: parameters.code_challenge,
      nonce: parameters.nonce ?? null,
      prompt,
      maxAge,
      loginHint: parameters.login_hint,
      resource,
      dpopJkt: parameters.dpop_jkt ?? null,
      parameters: pushed ? { client_id: client.clientId, request_uri: sent.request_uri as string } : parameters,
      pushedReference: pushed?.referenceHash ?? null,
    };
  }

  /**
   * The PAR endpoint (RFC 9126 §2): the same checks as the authorization
   * endpoint for the authenticated client, every error as JSON (§2.3) rather
   * than a page or a redirect; the checked parameters are stored.
   */
  async push(client: OAuthClient, sent: Record<string, unknown>, proofJkt: string | null = null): Promise<PushedAuthorizationResponse> {
    if (sent.client_id !== undefined && sent.client_id !== client.clientId) throw oauthError('invalid_request', 'client_id is not the authenticated client.');
    // RFC 9449 §10.1: a DPoP proof on the pushed request binds the code to its key; a dpop_jkt sent with it must name the same key.
    if (proofJkt !== null) {
      if (sent.dpop_jkt !== undefined && sent.dpop_jkt !== proofJkt) throw oauthError('invalid_dpop_proof', 'dpop_jkt is not the thumbprint of the DPoP proof’s key.');
      sent = { ...sent, dpop_jkt: proofJkt };
    }
    let authorization: ValidatedAuthorization;
    try {
      authorization = await this.validate({ ...sent, client_id: client.clientId }, 'push');
    } catch (error) {
      if (error instanceof AuthorizationRedirect) throw oauthError(error.error === 'invalid_scope' || error.error === 'invalid_target' || error.error === 'unauthorized_client' ? error.error : 'invalid_request', error.description);
      if (error instanceof BadRequestException) throw oauthError('invalid_request', error.message);
      throw error;
    }
    const requestUri = await this.pushedRequests.push(client.clientId, authorization.parameters);
    return { request_uri: requestUri, expires_in: PUSHED_REQUEST_TTL_SECONDS };
  }

  /** The pushed request a request_uri names (claimed at `start`, read again at `continue`); null without one; a 400 page for one that cannot be used. */
  private async pushedRequestOf(sent: Record<string, unknown>, stage: AuthorizationStage): Promise<PushedRequest | null> {
    const requestUri = sent.request_uri;
    if (requestUri === undefined) return null;
    // RFC 9126 §2.1: "The request_uri authorization request parameter is one exception, and it MUST NOT be provided."
    if (stage === 'push') throw new BadRequestException('request_uri cannot be pushed (RFC 9126 §2.1).');
    if (typeof requestUri !== 'string' || typeof sent.client_id !== 'string') throw new BadRequestException('client_id and request_uri must each be sent once.');
    const pushed = stage === 'start' ? await this.pushedRequests.start(sent.client_id, requestUri) : await this.pushedRequests.resolve(sent.client_id, requestUri);
    if (!pushed) throw new BadRequestException(UNUSABLE_REQUEST_URI);
    return pushed;
  }

  /** A pushed request is spent when the flow ends (a code, a refusal): a second consent form posted with it finds it used. */
  private async spendPushed(authorization: ValidatedAuthorization): Promise<void> {
    if (authorization.pushedReference && !(await this.pushedRequests.spend(authorization.pushedReference))) throw new BadRequestException(UNUSABLE_REQUEST_URI);
  }

  /**
   * What comes next for a validated request and the browser session there
   * is (null: none). `justAuthenticated`: the person has just logged in on our
   * page, which answers prompt=login and max_age.
   */
  async next(authorization: ValidatedAuthorization, session: Session | null, justAuthenticated: boolean, request: RequestContext): Promise<AuthorizationStep> {
    const { prompt, maxAge } = authorization;
    const fail = (error: AuthorizationErrorCode, description: string): AuthorizationStep => ({ step: 'redirect', location: this.errorLocation(authorization.redirectUri, authorization.state, error, description) });
    const tooOld = session !== null && maxAge !== null && Date.now() - (session.authTime ?? session.createdAt).getTime() > maxAge * 1000;
    if (!session || (!justAuthenticated && (prompt.has('login') || tooOld))) {
      return prompt.has('none') ? fail('login_required', 'The person is not signed in.') : { step: 'login', authorization };
    }
    const needsConsent = !authorization.client.skipConsent && (prompt.has('consent') || !(await this.consents.covers(session.userId, authorization.client.clientId, authorization.scopes)));
    if (needsConsent) {
      return prompt.has('none') ? fail('consent_required', 'The person has not allowed this application these scopes.') : { step: 'consent', authorization, session };
    }
    return { step: 'redirect', location: await this.issueCode(authorization, session, request) };
  }

  /** The person's answer on the consent page. */
  async decide(authorization: ValidatedAuthorization, session: Session, allow: boolean, request: RequestContext): Promise<string> {
    if (!allow) {
      await this.spendPushed(authorization);
      raiseSecurityEvent(this.events, { type: 'consent.granted', outcome: 'failure', actorId: session.userId, subjectId: session.userId, request, details: { clientId: authorization.client.clientId, reason: 'denied' } });
      return this.errorLocation(authorization.redirectUri, authorization.state, 'access_denied', 'The person did not allow the application.');
    }
    await this.consents.grant(session.userId, authorization.client.clientId, authorization.scopes, request);
    return this.issueCode(authorization, session, request);
  }

  private async issueCode(authorization: ValidatedAuthorization, session: Session, request: RequestContext): Promise<string> {
    await this.spendPushed(authorization);
    const code = await this.codes.issue({
      clientId: authorization.client.clientId,
      userId: session.userId,
      browserSessionId: session.id,
      redirectUri: authorization.redirectUri,
      codeChallenge: authorization.codeChallenge,
      scope: authorization.scopes.join(' '),
      nonce: authorization.nonce,
      resource: authorization.resource,
      dpopJkt: authorization.dpopJkt,
    });
    raiseSecurityEvent(this.events, { type: 'authorization.code-issued', actorId: session.userId, subjectId: session.userId, request, details: { clientId: authorization.client.clientId, scope: authorization.scopes.join(' ') } });
    return this.location(authorization.redirectUri, { code, state: authorization.state });
  }

  /** The registered redirect URI this request names (exact match, RFC 8252 §7.3 for native loopback), or the only one registered; else a 400 page. */
  private redirectUriOf(client: OAuthClient, presented: string | undefined): string {
    if (presented === undefined) {
      if (client.redirectUris.length === 1) return client.redirectUris[0];
      throw new BadRequestException('redirect_uri is required: the application registered more than one.');
    }
    if (!redirectUriMatches(client, presented)) throw new BadRequestException('The redirect_uri is not one the application registered: for your safety, you are not sent there.');
    return presented;
  }

  private orRedirect<T>(check: () => T, fail: (error: AuthorizationErrorCode, description: string) => AuthorizationRedirect): T {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      const body = error.getResponse() as { error?: string; error_description?: string };
      throw fail((body.error ?? 'invalid_request') as AuthorizationErrorCode, body.error_description ?? error.message);
    }
  }

  private errorLocation(redirectUri: string, state: string | undefined, error: AuthorizationErrorCode, description: string): string {
    return this.location(redirectUri, { error, error_description: description, state });
  }

  /** The redirect URI with the response's parameters added to its query (RFC 6749 §4.1.2), and `iss` (RFC 9207 §2). */
  private location(redirectUri: string, parameters: Record<string, string | undefined>): string {
    const url = new URL(redirectUri);
    for (const [name, value] of Object.entries(parameters)) if (value !== undefined) url.searchParams.append(name, value);
    url.searchParams.append('iss', this.config.jwt.issuer);
    return url.href;
  }
}
