import type { JsonWebKeySet } from '../client-metadata.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { APPLICATION_TYPES, GRANT_TYPES, RESPONSE_TYPES, TOKEN_ENDPOINT_AUTH_METHODS, type ApplicationType, type GrantType, type ResponseType, type TokenEndpointAuthMethod } from '../client-metadata.js';
import type { OAuthClient } from '../entities/oauth-client.entity.js';
import type { IssuedClient } from '../clients.service.js';

/** A registered client as the admin API shows it (RFC 7591 §3.2.1 names): never its secret or a hash of it. */
export class ClientResponseDto {
  @ApiProperty({ example: 'b3JpZ2luYWwtY2xpZW50LWlk' })
  client_id: string;

  @ApiProperty({ example: 'My app' })
  client_name: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  logo_uri: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  client_uri: string | null;

  @ApiProperty({ type: [String], example: ['https://app.example.com/callback'] })
  redirect_uris: string[];

  @ApiProperty({ type: [String], example: [] })
  post_logout_redirect_uris: string[];

  @ApiProperty({ enum: GRANT_TYPES, isArray: true, example: ['authorization_code', 'refresh_token'] })
  grant_types: GrantType[];

  @ApiProperty({ enum: RESPONSE_TYPES, isArray: true, example: ['code'] })
  response_types: ResponseType[];

  @ApiProperty({ enum: TOKEN_ENDPOINT_AUTH_METHODS, example: 'client_secret_basic' })
  token_endpoint_auth_method: TokenEndpointAuthMethod;

  @ApiProperty({ example: 'openid profile email offline_access' })
  scope: string;

  @ApiProperty({ enum: APPLICATION_TYPES, example: 'web' })
  application_type: ApplicationType;

  @ApiProperty({ example: false })
  skip_consent: boolean;

  @ApiProperty({ type: [String], example: [] })
  resources: string[];

  @ApiProperty({ type: String, nullable: true, example: null })
  backchannel_logout_uri: string | null;

  @ApiProperty({ example: false })
  backchannel_logout_session_required: boolean;

  @ApiProperty({ example: false, description: 'RFC 9126 §6: authorization requests only by PAR.' })
  require_pushed_authorization_requests: boolean;

  @ApiProperty({ example: false, description: 'RFC 9449 §5.2: token requests need a DPoP proof (the tokens are DPoP-bound).' })
  dpop_bound_access_tokens: boolean;

  @ApiProperty({ type: Object, nullable: true, example: null, description: '`private_key_jwt`: the registered public keys.' })
  jwks: JsonWebKeySet | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  jwks_uri: string | null;

  @ApiProperty({ example: 1767225600, description: 'When the client was registered, in seconds since the epoch.' })
  client_id_issued_at: number;

  static from(client: OAuthClient): ClientResponseDto {
    return Object.assign(new ClientResponseDto(), {
      client_id: client.clientId,
      client_name: client.clientName,
      logo_uri: client.logoUri,
      client_uri: client.clientUri,
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris,
      grant_types: client.grantTypes,
      response_types: client.responseTypes,
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      scope: client.scope,
      application_type: client.applicationType,
      skip_consent: client.skipConsent,
      resources: client.resources,
      backchannel_logout_uri: client.backchannelLogoutUri,
      backchannel_logout_session_required: client.backchannelLogoutSessionRequired,
      require_pushed_authorization_requests: client.requirePushedAuthorizationRequests,
      dpop_bound_access_tokens: client.dpopBoundAccessTokens,
      jwks: client.jwks,
      jwks_uri: client.jwksUri,
      client_id_issued_at: Math.floor(client.createdAt.getTime() / 1000),
    });
  }
}

/** A client just registered (or made confidential): with its secret, shown this once (RFC 7591 §3.2.1). */
export class IssuedClientResponseDto extends ClientResponseDto {
  @ApiPropertyOptional({ example: 'Qv3Jm1cB0x8Kq6vN0dJ9b1tVxGk2yH4cZ7r5uWl3sA8', description: 'Confidential clients only, and only in this answer: Gatehouse keeps a hash.' })
  client_secret?: string;

  @ApiPropertyOptional({ example: 0, description: 'With `client_secret`: 0, it does not expire (rotate it with POST /clients/{client_id}/secret).' })
  client_secret_expires_at?: number;

  static fromIssued({ client, clientSecret }: IssuedClient): IssuedClientResponseDto {
    const answer = Object.assign(new IssuedClientResponseDto(), ClientResponseDto.from(client));
    return clientSecret === null ? answer : Object.assign(answer, { client_secret: clientSecret, client_secret_expires_at: 0 });
  }
}

/** A rotated secret: the new one, shown this once, and when the one it replaces stops working. */
export class ClientSecretResponseDto {
  @ApiProperty({ example: 'b3JpZ2luYWwtY2xpZW50LWlk' })
  client_id: string;

  @ApiProperty({ example: 'Qv3Jm1cB0x8Kq6vN0dJ9b1tVxGk2yH4cZ7r5uWl3sA8' })
  client_secret: string;

  @ApiProperty({ example: 0, description: '0: the new secret does not expire.' })
  client_secret_expires_at: number;

  @ApiProperty({ example: 1767312000, description: 'When the previous secret stops working (CLIENT_SECRET_GRACE after the rotation), in seconds since the epoch.' })
  previous_secret_expires_at: number;
}
