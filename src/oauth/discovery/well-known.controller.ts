import { Controller, Get, Header, Inject, Logger, type OnModuleInit } from '@nestjs/common';
import { DPOP_SIGNING_ALGORITHMS } from '../../dpop/dpop-algorithms.js';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { SigningKeysService } from '../../tokens/signing-keys.service.js';
import { CLIENT_ASSERTION_ALGORITHMS } from '../client-authentication/private-key-jwt.method.js';
import { TokenEndpointService } from '../grants/token-endpoint.service.js';
import { PERSON_SCOPES } from '../grants/scopes.js';
import { TOKEN_ENDPOINT_AUTH_METHODS } from '../clients/client-metadata.js';
import { GATEHOUSE_API_SCOPE } from '../../access/principal.js';
import { REGISTRATION_PATH } from '../registration/registration.service.js';
import { Public } from '../../access/decorators/public.decorator.js';

/** The claims Gatehouse can put in an id token or userinfo (Discovery §3 `claims_supported`). */
const ID_TOKEN_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sid', 'amr', 'azp', 'preferred_username', 'email', 'email_verified'] as const;

/** How long verifiers may cache the key set and the metadata: well inside KEY_PUBLISH_AHEAD (10 minutes by default). */
const MAX_AGE_SECONDS = 300;

/** The metadata is JSON: served as the string made once (below), so Fastify's content-type must be said. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** What another service needs to verify Gatehouse's tokens without a shared secret. */
@ApiTags('well-known')
@Controller('.well-known')
@Public()
export class WellKnownController implements OnModuleInit {
  constructor(
    private readonly signingKeys: SigningKeysService,
    private readonly tokenEndpoint: TokenEndpointService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /**
   * The metadata as sent, for the PUBLIC_URL it was made with: everything in
   * it is fixed once the service listens (settings, the grant handlers, the
   * key store's algorithm), so it is built and serialized once, not on every
   * request (it cost half the rate of serving the same bytes from a bare app,
   * docs/PERFORMANCE.md). PUBLIC_URL is the key: with PORT=0 it names the
   * port only once the service listens (settlePort).
   */
  private serialized: { base: string; json: string } | null = null;

  /**
   * A verifier that caches the key set for max-age (and does not fetch it
   * again on an unknown kid) refuses a new key's tokens until its copy
   * expires: a key must be published at least that long before it signs.
   */
  onModuleInit(): void {
    const ahead = this.config.keys.publishAheadSeconds;
    if (ahead >= MAX_AGE_SECONDS) return;
    new Logger('SigningKeys').warn(
      `KEY_PUBLISH_AHEAD is ${ahead} s, shorter than the ${MAX_AGE_SECONDS} s verifiers may cache /.well-known/jwks.json (its Cache-Control max-age): after a rotation, those that do not fetch it again on an unknown kid refuse the new key's tokens until their copy expires; set KEY_PUBLISH_AHEAD to ${MAX_AGE_SECONDS / 60}m or more`,
    );
  }

  @Get('jwks.json')
  @Header('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`)
  @ApiOperation({ operationId: 'jwks', summary: 'The public keys that verify access tokens and id tokens (RFC 7517)', description: 'With JWT_ALGORITHM=HS256 only the RS256 keys that sign id tokens and logout tokens: the shared secret JWT_SECRET is never published.' })
  @ApiOkResponse({ description: 'The key set', schema: { example: { keys: [{ kty: 'RSA', n: '…', e: 'AQAB', kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', alg: 'RS256', use: 'sig' }] } } })
  @Header('Content-Type', JSON_CONTENT_TYPE)
  jwks(): string {
    return this.signingKeys.publishedKeySet();
  }

  @Get('oauth-authorization-server')
  @Header('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`)
  @ApiOperation({ operationId: 'authorizationServerMetadata', summary: 'Authorization server metadata (RFC 8414)' })
  @ApiOkResponse({ description: 'The metadata' })
  @Header('Content-Type', JSON_CONTENT_TYPE)
  authorizationServerMetadata(): string {
    return this.metadataJson();
  }

  @Get('openid-configuration')
  @Header('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`)
  @ApiOperation({ operationId: 'openidConfiguration', summary: 'The same metadata, at the path most JWT verifiers fetch' })
  @ApiOkResponse({ description: 'The metadata' })
  @Header('Content-Type', JSON_CONTENT_TYPE)
  openidConfiguration(): string {
    return this.metadataJson();
  }

  private metadataJson(): string {
    const base = this.config.publicUrl;
    if (this.serialized?.base !== base) this.serialized = { base, json: JSON.stringify(this.metadata()) };
    return this.serialized.json;
  }

  /**
   * RFC 8414 §2 and OpenID Connect Discovery 1.0 §3: only what exists. The
   * grants are the token endpoint's registered handlers; id tokens are signed
   * by the key store, whose one algorithm is the truth
   * (RS256 when JWT_ALGORITHM=HS256).
   */
  private metadata(): Record<string, unknown> {
    const base = this.config.publicUrl;
    const authMethods = [...TOKEN_ENDPOINT_AUTH_METHODS];
    const confidentialMethods = authMethods.filter((method) => method !== 'none');
    return {
      issuer: this.config.jwt.issuer,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/auth/token`,
      userinfo_endpoint: `${base}/auth/userinfo`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      revocation_endpoint: `${base}/auth/revoke`,
      introspection_endpoint: `${base}/auth/introspect`,
      // RFC 7591 §3 (RFC 8414 §2): only when CLIENT_REGISTRATION lets someone register.
      ...(this.config.clients.registration === 'off' ? {} : { registration_endpoint: `${base}${REGISTRATION_PATH}` }),
      // RFC 8628 §4.
      device_authorization_endpoint: `${base}/auth/device`,
      // OpenID Connect RP-Initiated Logout 1.0 §2.1.
      end_session_endpoint: `${base}/logout`,
      pushed_authorization_request_endpoint: `${base}/auth/par`,
      require_pushed_authorization_requests: this.config.oauth.requirePushedAuthorizationRequests,
      scopes_supported: [...PERSON_SCOPES, GATEHOUSE_API_SCOPE],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: this.tokenEndpoint.grantTypes(),
      code_challenge_methods_supported: ['S256'],
      // RFC 9449 §5.1: the algorithms a DPoP proof may use.
      dpop_signing_alg_values_supported: DPOP_SIGNING_ALGORITHMS,
      authorization_response_iss_parameter_supported: true,
      // OIDC Back-Channel Logout 1.0 §2.1: logout tokens, always with `sid`.
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      token_endpoint_auth_methods_supported: authMethods,
      token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      revocation_endpoint_auth_methods_supported: authMethods,
      revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      introspection_endpoint_auth_methods_supported: [...confidentialMethods, 'bearer'],
      introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [this.signingKeys.storeAlgorithm],
      claims_supported: [...ID_TOKEN_CLAIMS],
      // OIDC Core §5.5 and §6 (the claims parameter, request objects by value or by reference) are not served; Discovery's default for request_uri is true, so it is said.
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      service_documentation: `${base}/docs`,
    };
  }
}
