import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  type JsonWebKeySet,
  APPLICATION_TYPES,
  DEFAULT_CLIENT_SCOPE,
  GRANT_TYPES,
  MAX_CLIENT_NAME_LENGTH,
  MAX_SCOPE_LENGTH,
  MAX_URIS,
  RESPONSE_TYPES,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type ApplicationType,
  type ClientChanges,
  type GrantType,
  type ResponseType,
  type TokenEndpointAuthMethod,
} from '../client-metadata.js';
import { MAX_URI_LENGTH } from '../redirect-uris.js';

const URI_RULE = '`https://`, or `http://` only on a loopback host (127.0.0.1, [::1], localhost)';

/**
 * RFC 7591 §2 client metadata, with its field names, plus Gatehouse's
 * `skip_consent` and `resources`. The DTO checks types; the rules between
 * fields and the URI rules are clientMetadataProblem's (shared with the CLI).
 */
export class CreateClientDto {
  @ApiProperty({ example: 'My app', maxLength: MAX_CLIENT_NAME_LENGTH, description: 'Shown on the login and consent pages.' })
  @IsString()
  @MaxLength(MAX_CLIENT_NAME_LENGTH)
  client_name: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://app.example.com/logo.png', description: `Shown on the login and consent pages: ${URI_RULE}.` })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URI_LENGTH)
  logo_uri?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://app.example.com', description: `The application's home page: ${URI_RULE}.` })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URI_LENGTH)
  client_uri?: string | null;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_URIS,
    example: ['https://app.example.com/callback'],
    description: `Required for \`authorization_code\`; compared as exact strings. Each ${URI_RULE}, or for \`application_type: native\` a private-use scheme such as \`com.example.app:/callback\`; no fragment, no wildcard. A native public client's \`http://127.0.0.1\` and \`http://[::1]\` redirects match on any port (RFC 8252 §7.3).`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_URIS)
  @IsString({ each: true })
  redirect_uris?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: MAX_URIS, example: ['https://app.example.com/'], description: 'Where RP-initiated logout may send the browser back to: the rules of `redirect_uris`.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_URIS)
  @IsString({ each: true })
  post_logout_redirect_uris?: string[];

  @ApiPropertyOptional({
    enum: GRANT_TYPES,
    isArray: true,
    default: ['authorization_code'],
    example: ['authorization_code', 'refresh_token'],
    description: '`client_credentials` needs a confidential client; `password` is the legacy grant (RFC 9700: MUST NOT be used), for an admin to allow where nothing else will do.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(GRANT_TYPES.length)
  @IsIn(GRANT_TYPES, { each: true })
  grant_types?: GrantType[];

  @ApiPropertyOptional({ enum: RESPONSE_TYPES, isArray: true, example: ['code'], description: 'Follows `grant_types`: `["code"]` with `authorization_code`, `[]` without.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(RESPONSE_TYPES.length)
  @IsIn(RESPONSE_TYPES, { each: true })
  response_types?: ResponseType[];

  @ApiPropertyOptional({ enum: TOKEN_ENDPOINT_AUTH_METHODS, default: 'client_secret_basic', example: 'client_secret_basic', description: '`none`: a public client (a browser or mobile app), with no secret.' })
  @IsOptional()
  @IsIn(TOKEN_ENDPOINT_AUTH_METHODS)
  token_endpoint_auth_method?: TokenEndpointAuthMethod;

  @ApiPropertyOptional({ example: 'openid profile email offline_access', default: DEFAULT_CLIENT_SCOPE, maxLength: MAX_SCOPE_LENGTH, description: 'The scopes the client may ask for, space-separated.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SCOPE_LENGTH)
  scope?: string;

  @ApiPropertyOptional({ enum: APPLICATION_TYPES, default: 'web', example: 'web', description: '`native`: a mobile or desktop app (private-use redirect schemes, loopback redirects on any port when public).' })
  @IsOptional()
  @IsIn(APPLICATION_TYPES)
  application_type?: ApplicationType;

  @ApiPropertyOptional({ default: false, example: false, description: 'First-party: people are not asked to consent.' })
  @IsOptional()
  @IsBoolean()
  skip_consent?: boolean;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_URIS,
    example: ['https://api.example.com'],
    description: 'The resource indicators (RFC 8707) the client may ask tokens for, which become their audience: absolute URIs without fragment.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_URIS)
  @IsString({ each: true })
  resources?: string[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://app.example.com/backchannel-logout',
    description:
      'OpenID Connect Back-Channel Logout 1.0: Gatehouse POSTs a signed `logout_token` here whenever a session the client took part in ends. `https://` (or `http://` on a loopback host outside production), no fragment; in production no loopback or private address unless `ALLOW_PRIVATE_CLIENT_URIS=true`. `null` removes it.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URI_LENGTH)
  backchannel_logout_uri?: string | null;

  @ApiPropertyOptional({ default: false, example: true, description: 'Whether the client needs `sid` in logout tokens; Gatehouse always sends it.' })
  @IsOptional()
  @IsBoolean()
  backchannel_logout_session_required?: boolean;

  @ApiPropertyOptional({ default: false, example: false, description: 'RFC 9126 §6: authorization requests only through `POST /auth/par` (a `request_uri`); any other is refused with `invalid_request`.' })
  @IsOptional()
  @IsBoolean()
  require_pushed_authorization_requests?: boolean;

  @ApiPropertyOptional({ default: false, example: false, description: 'RFC 9449 §5.2: the client always sends a DPoP proof to the token endpoint; a token request without one is refused with `invalid_dpop_proof`.' })
  @IsOptional()
  @IsBoolean()
  dpop_bound_access_tokens?: boolean;

  @ApiPropertyOptional({
    type: Object,
    nullable: true,
    example: { keys: [{ kty: 'EC', crv: 'P-256', kid: 'k1', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] },
    description: '`private_key_jwt`: the client’s public keys (a JWK Set; RSA, EC or OKP; never private members such as `d`). Exactly one of `jwks` and `jwks_uri`.',
  })
  @IsOptional()
  @IsObject()
  jwks?: JsonWebKeySet | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://app.example.com/jwks.json',
    description: '`private_key_jwt`: where the client publishes its public keys; fetched without redirects, with a timeout and a size cap, and in production not from loopback or private addresses unless `ALLOW_PRIVATE_CLIENT_URIS=true`.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URI_LENGTH)
  jwks_uri?: string | null;
}

/**
 * The metadata a body gives, camel-cased; a field left out is undefined.
 * (`null` stays null: it clears `logo_uri`, `client_uri` and `backchannel_logout_uri`, and is refused
 * for the others.)
 */
export function metadataOfBody(body: Partial<CreateClientDto>): ClientChanges {
  return {
    clientName: body.client_name,
    logoUri: body.logo_uri,
    clientUri: body.client_uri,
    redirectUris: body.redirect_uris,
    postLogoutRedirectUris: body.post_logout_redirect_uris,
    grantTypes: body.grant_types,
    responseTypes: body.response_types,
    tokenEndpointAuthMethod: body.token_endpoint_auth_method,
    scope: body.scope,
    applicationType: body.application_type,
    skipConsent: body.skip_consent,
    resources: body.resources,
    backchannelLogoutUri: body.backchannel_logout_uri,
    backchannelLogoutSessionRequired: body.backchannel_logout_session_required,
    requirePushedAuthorizationRequests: body.require_pushed_authorization_requests,
    dpopBoundAccessTokens: body.dpop_bound_access_tokens,
    jwks: body.jwks,
    jwksUri: body.jwks_uri,
  } as ClientChanges;
}
