import type { AddressPolicy } from '../../outbound-http/address-policy.js';
import { calledUriProblem, redirectUriProblem, resourceUriProblem, webUriProblem } from './redirect-uris.js';

/** The grants a client may be registered for (RFC 7591 §2 `grant_types`). */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'password'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** Only the authorization code flow has a response type (OAuth 2.1 drops the implicit `token`). */
export const RESPONSE_TYPES = ['code'] as const;
export type ResponseType = (typeof RESPONSE_TYPES)[number];

/**
 * How a client proves itself at the token endpoint (RFC 7591 §2). Each has
 * its class in `oauth/client-authentication/`.
 */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/** A JWK Set (RFC 7517 §5) as registered: public keys only. */
export interface JsonWebKeySet {
  keys: Record<string, string | string[] | boolean | number>[];
}

/** RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037: members only a private (or symmetric) key has. */
const PRIVATE_KEY_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_JWKS_KEYS = 10;

/** OpenID Connect Registration §2: `native` apps may use private-use schemes and (when public) loopback redirects on any port. */
export const APPLICATION_TYPES = ['web', 'native'] as const;
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

/** What a client may ask for when it registered no `scope`. */
export const DEFAULT_CLIENT_SCOPE = 'openid profile email offline_access';

export const MAX_CLIENT_NAME_LENGTH = 200;
export const MAX_SCOPE_LENGTH = 1000;
/** Redirect URIs, post-logout redirect URIs, resources: each list at most this long. */
export const MAX_URIS = 20;

/**
 * A client's registered metadata (RFC 7591 §2, camel-cased), as stored and
 * as checked by clientMetadataProblem. The secret is not metadata.
 */
export interface ClientMetadata {
  clientName: string;
  logoUri: string | null;
  clientUri: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  responseTypes: ResponseType[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** The scopes the client may ask for, space-separated (RFC 6749 §3.3). */
  scope: string;
  applicationType: ApplicationType;
  /** First-party: no consent page. Only an admin may set it. */
  skipConsent: boolean;
  /** The resource indicators (RFC 8707) the client may ask tokens for: their audiences. */
  resources: string[];
  /** OpenID Connect Back-Channel Logout 1.0 §2.2: where logout tokens go; null: none are sent. */
  backchannelLogoutUri: string | null;
  /** §2.2: whether the client needs `sid` in logout tokens (Gatehouse always includes it). */
  backchannelLogoutSessionRequired: boolean;
  /** RFC 9126 §6: authorization requests only by PAR (a request_uri from the PAR endpoint). */
  requirePushedAuthorizationRequests: boolean;
  /** RFC 9449 §5.2: the client always uses DPoP (a token request without a proof is refused). */
  dpopBoundAccessTokens: boolean;
  /** private_key_jwt: the client's public keys (RFC 7591 §2 `jwks`), or null. */
  jwks: JsonWebKeySet | null;
  /** private_key_jwt: where its public keys are (`jwks_uri`), or null. Exactly one of the two with that method. */
  jwksUri: string | null;
}

/** A change (PATCH): the fields given replace the stored ones; undefined ones stay. */
export type ClientChanges = Partial<ClientMetadata>;

/** Who registers: an admin (the admin API, the CLI) may allow what self-registration never may. */
export type Registrar = 'admin' | 'self';

/** A confidential client has a secret or keys; a public one (`none`) has nothing to prove itself with. */
export function isConfidential(client: Pick<ClientMetadata, 'tokenEndpointAuthMethod'>): boolean {
  return client.tokenEndpointAuthMethod !== 'none';
}

/** Whether the client proves itself with a secret Gatehouse makes (not `none`, not `private_key_jwt`'s keys). */
export function usesSecret(client: Pick<ClientMetadata, 'tokenEndpointAuthMethod'>): boolean {
  return client.tokenEndpointAuthMethod === 'client_secret_basic' || client.tokenEndpointAuthMethod === 'client_secret_post';
}

/** Why `jwks` is not a set of public keys, or null. */
function jwksProblem(jwks: unknown): string | null {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as JsonWebKeySet).keys)) return 'must be a JWK Set: {"keys": [...]}';
  const { keys } = jwks as JsonWebKeySet;
  if (keys.length === 0 || keys.length > MAX_JWKS_KEYS) return `must hold 1 to ${MAX_JWKS_KEYS} keys`;
  for (const [index, key] of keys.entries()) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') return `keys[${index}] must be a JWK with kty`;
    if (!['RSA', 'EC', 'OKP'].includes(key.kty)) return `keys[${index}] must be an RSA, EC or OKP public key`;
    const secret = PRIVATE_KEY_MEMBERS.find((member) => member in key);
    if (secret) return `keys[${index}] must be a public key: it has the private member "${secret}" (never send a private key)`;
  }
  return JSON.stringify(jwks).length > 32_768 ? 'is too large' : null;
}

/** private_key_jwt needs exactly one of jwks and jwks_uri (RFC 7591 §2: "MUST NOT both be present"); the keys must be public. */
function keysProblem(metadata: ClientMetadata, addresses: AddressPolicy): string | null {
  const { jwks, jwksUri } = metadata;
  if (jwks !== null) {
    const problem = jwksProblem(jwks);
    if (problem) return `invalid_client_metadata: jwks ${problem}`;
  }
  if (jwksUri !== null) {
    const problem = calledUriProblem(jwksUri, addresses);
    if (problem) return `invalid_client_metadata: jwks_uri ${problem}`;
  }
  if (jwks !== null && jwksUri !== null) return 'invalid_client_metadata: jwks and jwks_uri cannot both be given';
  if (metadata.tokenEndpointAuthMethod === 'private_key_jwt' && jwks === null && jwksUri === null) return 'invalid_client_metadata: private_key_jwt needs jwks or jwks_uri';
  return null;
}

/** RFC 7591 §2: `response_types` follow `grant_types` — `code` exactly when the client uses the authorization code grant. */
export function responseTypesFor(grantTypes: readonly string[]): ResponseType[] {
  return grantTypes.includes('authorization_code') ? ['code'] : [];
}

/** Metadata as given, with RFC 7591 §2's defaults for what was left out. */
export function withDefaults(given: Partial<ClientMetadata> & Pick<ClientMetadata, 'clientName'>): ClientMetadata {
  const grantTypes = given.grantTypes ?? ['authorization_code'];
  return {
    clientName: given.clientName,
    logoUri: given.logoUri ?? null,
    clientUri: given.clientUri ?? null,
    redirectUris: given.redirectUris ?? [],
    postLogoutRedirectUris: given.postLogoutRedirectUris ?? [],
    grantTypes,
    responseTypes: given.responseTypes ?? responseTypesFor(grantTypes),
    tokenEndpointAuthMethod: given.tokenEndpointAuthMethod ?? 'client_secret_basic',
    scope: given.scope ?? DEFAULT_CLIENT_SCOPE,
    applicationType: given.applicationType ?? 'web',
    skipConsent: given.skipConsent ?? false,
    resources: given.resources ?? [],
    backchannelLogoutUri: given.backchannelLogoutUri ?? null,
    backchannelLogoutSessionRequired: given.backchannelLogoutSessionRequired ?? false,
    requirePushedAuthorizationRequests: given.requirePushedAuthorizationRequests ?? false,
    dpopBoundAccessTokens: given.dpopBoundAccessTokens ?? false,
    jwks: given.jwks ?? null,
    jwksUri: given.jwksUri ?? null,
  };
}

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces. */
const SCOPE = /^([\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*)?$/;

function listProblem(field: string, list: unknown, problemOf: (item: unknown) => string | null, errorCode = 'invalid_client_metadata'): string | null {
  if (!Array.isArray(list)) return `invalid_client_metadata: ${field} must be an array`;
  if (list.length > MAX_URIS) return `invalid_client_metadata: ${field} must have at most ${MAX_URIS} entries`;
  for (const [index, item] of list.entries()) {
    const problem = problemOf(item);
    if (problem) return `${errorCode}: ${field}[${index}] ${typeof item === 'string' ? `(${item}) ` : ''}${problem}`;
    if (list.indexOf(item) !== index) return `invalid_client_metadata: ${field} lists ${String(item)} twice`;
  }
  return null;
}

function notOneOf(allowed: readonly string[]): (value: unknown) => string | null {
  return (value) => (allowed.includes(value as string) ? null : `must be one of ${allowed.join(', ')}`);
}

function enumProblem(field: string, value: unknown, allowed: readonly string[]): string | null {
  const problem = notOneOf(allowed)(value);
  return problem && `invalid_client_metadata: ${field} ${problem}`;
}

/** The fields one at a time: types, forms and sizes. */
function fieldProblem(metadata: ClientMetadata, addresses: AddressPolicy): string | null {
  const { clientName, logoUri, clientUri, scope, applicationType } = metadata;
  if (typeof clientName !== 'string' || clientName.trim() !== clientName || clientName === '' || [...clientName].length > MAX_CLIENT_NAME_LENGTH || /[\p{Cc}\p{Cf}]/u.test(clientName)) {
    return `invalid_client_metadata: client_name must be 1 to ${MAX_CLIENT_NAME_LENGTH} characters, without control characters or surrounding spaces`;
  }
  for (const [field, uri] of [['logo_uri', logoUri], ['client_uri', clientUri]] as const) {
    const problem = uri === null ? null : webUriProblem(uri);
    if (problem) return `invalid_client_metadata: ${field} ${problem}`;
  }
  const backchannelProblem = metadata.backchannelLogoutUri === null ? null : calledUriProblem(metadata.backchannelLogoutUri, addresses);
  if (backchannelProblem) return `invalid_client_metadata: backchannel_logout_uri ${backchannelProblem}`;
  if (typeof metadata.backchannelLogoutSessionRequired !== 'boolean') return 'invalid_client_metadata: backchannel_logout_session_required must be true or false';
  if (typeof metadata.requirePushedAuthorizationRequests !== 'boolean') return 'invalid_client_metadata: require_pushed_authorization_requests must be true or false';
  if (typeof metadata.dpopBoundAccessTokens !== 'boolean') return 'invalid_client_metadata: dpop_bound_access_tokens must be true or false';
  const keys = keysProblem(metadata, addresses);
  if (keys) return keys;
  if (typeof scope !== 'string' || scope.length > MAX_SCOPE_LENGTH || !SCOPE.test(scope)) {
    return `invalid_client_metadata: scope must be scope tokens (printable ASCII without " or \\) separated by single spaces, at most ${MAX_SCOPE_LENGTH} characters (RFC 6749 §3.3)`;
  }
  return (
    enumProblem('application_type', applicationType, APPLICATION_TYPES) ??
    enumProblem('token_endpoint_auth_method', metadata.tokenEndpointAuthMethod, TOKEN_ENDPOINT_AUTH_METHODS) ??
    (typeof metadata.skipConsent === 'boolean' ? null : 'invalid_client_metadata: skip_consent must be true or false') ??
    listProblem('grant_types', metadata.grantTypes, notOneOf(GRANT_TYPES)) ??
    listProblem('response_types', metadata.responseTypes, notOneOf(RESPONSE_TYPES)) ??
    listProblem('redirect_uris', metadata.redirectUris, (uri) => redirectUriProblem(uri, applicationType), 'invalid_redirect_uri') ??
    listProblem('post_logout_redirect_uris', metadata.postLogoutRedirectUris, (uri) => redirectUriProblem(uri, applicationType), 'invalid_redirect_uri') ??
    listProblem('resources', metadata.resources, resourceUriProblem)
  );
}

/** How the fields must agree with each other, and what only an admin may allow. */
function combinationProblem(metadata: ClientMetadata, registrar: Registrar): string | null {
  const { grantTypes, responseTypes, redirectUris } = metadata;
  if (grantTypes.length === 0) return 'invalid_client_metadata: grant_types must name at least one grant';
  const expected = responseTypesFor(grantTypes);
  if (responseTypes.join(' ') !== expected.join(' ')) {
    return `invalid_client_metadata: response_types must be ${JSON.stringify(expected)} with these grant_types (RFC 7591 §2.1: code goes with authorization_code)`;
  }
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) return 'invalid_redirect_uri: the authorization_code grant needs at least one redirect URI in redirect_uris';
  // A public client has nothing to prove itself with: a client_credentials token would go to anyone who knows the id.
  if (grantTypes.includes('client_credentials') && !isConfidential(metadata)) return 'invalid_client_metadata: client_credentials needs a confidential client (token_endpoint_auth_method other than none)';
  if (registrar !== 'admin' && grantTypes.includes('password')) return 'invalid_client_metadata: only an admin may allow the password grant';
  if (registrar !== 'admin' && metadata.skipConsent) return 'invalid_client_metadata: only an admin may make a client first-party (skip_consent)';
  return null;
}

/**
 * Why `metadata` cannot be registered, or null: a message that starts with
 * the RFC 7591 §3.2.2 error code (`invalid_redirect_uri` or
 * `invalid_client_metadata`) and names the field. Used by the admin API, the
 * CLI and (later) dynamic registration, for new clients and every change.
 * `addresses` is what URIs Gatehouse itself calls may name (addressPolicyOf).
 */
export function clientMetadataProblem(metadata: ClientMetadata, registrar: Registrar, addresses: AddressPolicy): string | null {
  return fieldProblem(metadata, addresses) ?? combinationProblem(metadata, registrar);
}
