import { describe, expect, it } from 'vitest';
import { addressPolicyOf } from '../../outbound-http/address-policy.js';
import { clientMetadataProblem, DEFAULT_CLIENT_SCOPE, withDefaults, type ClientMetadata } from './client-metadata.js';

const DEVELOPMENT = addressPolicyOf({ production: false, clients: { allowPrivateUris: false } });
const PRODUCTION = addressPolicyOf({ production: true, clients: { allowPrivateUris: false } });
const PRODUCTION_PRIVATE_ALLOWED = addressPolicyOf({ production: true, clients: { allowPrivateUris: true } });

const webApp = (changes: Partial<ClientMetadata> = {}): ClientMetadata => ({ ...withDefaults({ clientName: 'Web app', redirectUris: ['https://app.example.com/cb'] }), ...changes });

describe('withDefaults', () => {
  it('fills in RFC 7591 §2’s defaults', () => {
    expect(withDefaults({ clientName: 'App' })).toEqual({
      clientName: 'App',
      logoUri: null,
      clientUri: null,
      redirectUris: [],
      postLogoutRedirectUris: [],
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      scope: DEFAULT_CLIENT_SCOPE,
      applicationType: 'web',
      skipConsent: false,
      resources: [],
      backchannelLogoutUri: null,
      backchannelLogoutSessionRequired: false,
      requirePushedAuthorizationRequests: false,
      dpopBoundAccessTokens: false,
      jwks: null,
      jwksUri: null,
    });
    expect(withDefaults({ clientName: 'Machine', grantTypes: ['client_credentials'] }).responseTypes).toEqual([]);
  });
});

describe('clientMetadataProblem', () => {
  it.each([
    ['a confidential web app', webApp()],
    ['a public native app with a private-use scheme and a loopback redirect', webApp({ applicationType: 'native', tokenEndpointAuthMethod: 'none', redirectUris: ['com.example.app:/cb', 'http://127.0.0.1/cb'] })],
    ['a machine client', webApp({ grantTypes: ['client_credentials'], responseTypes: [], redirectUris: [] })],
    ['a first-party client with the password grant', webApp({ grantTypes: ['authorization_code', 'refresh_token', 'password'], skipConsent: true })],
    ['resources and a logo', webApp({ resources: ['https://api.example.com', 'urn:example:reports'], logoUri: 'https://app.example.com/logo.png', clientUri: 'https://app.example.com' })],
    ['no scope at all', webApp({ scope: '' })],
    ['a device', webApp({ grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'], responseTypes: [], redirectUris: [], tokenEndpointAuthMethod: 'none' })],
  ])('accepts %s', (_, metadata) => {
    expect(clientMetadataProblem(metadata, 'admin', DEVELOPMENT)).toBeNull();
  });

  it.each([
    ['the code grant without a redirect URI', webApp({ redirectUris: [] }), /^invalid_redirect_uri: the authorization_code grant needs at least one redirect URI/],
    ['client_credentials for a public client', webApp({ grantTypes: ['client_credentials'], responseTypes: [], tokenEndpointAuthMethod: 'none' }), /^invalid_client_metadata: client_credentials needs a confidential client/],
    ['a redirect URI over http on a public host', webApp({ redirectUris: ['https://app.example.com/cb', 'http://app.example.com/cb'] }), /^invalid_redirect_uri: redirect_uris\[1\] \(http:\/\/app.example.com\/cb\) must use https/],
    ['a post-logout URI with a fragment', webApp({ postLogoutRedirectUris: ['https://app.example.com/#bye'] }), /^invalid_redirect_uri: post_logout_redirect_uris\[0\] .* fragment/],
    ['a private-use scheme on a web app', webApp({ redirectUris: ['com.example.app:/cb'] }), /^invalid_redirect_uri: .*only for application_type native/],
    ['the same redirect URI twice', webApp({ redirectUris: ['https://app.example.com/cb', 'https://app.example.com/cb'] }), /^invalid_client_metadata: redirect_uris lists https:\/\/app.example.com\/cb twice/],
    ['too many redirect URIs', webApp({ redirectUris: Array.from({ length: 21 }, (_, index) => `https://app.example.com/${index}`) }), /at most 20 entries/],
    ['response_types without the code grant', webApp({ grantTypes: ['client_credentials'], responseTypes: ['code'] }), /^invalid_client_metadata: response_types must be \[\]/],
    ['no response_types with the code grant', webApp({ responseTypes: [] }), /^invalid_client_metadata: response_types must be \["code"\]/],
    ['no grant at all', webApp({ grantTypes: [], responseTypes: [] }), /grant_types must name at least one grant/],
    ['an unknown grant', webApp({ grantTypes: ['implicit' as never] }), /^invalid_client_metadata: grant_types\[0\] \(implicit\) must be one of authorization_code/],
    ['an unknown authentication method', webApp({ tokenEndpointAuthMethod: 'client_secret_jwt' as never }), /token_endpoint_auth_method must be one of client_secret_basic, client_secret_post, private_key_jwt, none/],
    ['an empty name', webApp({ clientName: '' }), /client_name must be 1 to 200 characters/],
    ['a name with surrounding spaces', webApp({ clientName: ' App' }), /client_name/],
    ['a name with a control character', webApp({ clientName: 'App\u001b[2J' }), /client_name/],
    ['a name that is not text', webApp({ clientName: null as never }), /client_name/],
    ['a javascript: logo', webApp({ logoUri: 'javascript:alert(1)' }), /^invalid_client_metadata: logo_uri must use https/],
    ['a home page over http', webApp({ clientUri: 'http://app.example.com' }), /^invalid_client_metadata: client_uri must use https/],
    ['a scope with double spaces', webApp({ scope: 'openid  profile' }), /scope must be scope tokens/],
    ['a scope with a quote', webApp({ scope: 'openid "x"' }), /scope must be scope tokens/],
    ['a resource with a fragment', webApp({ resources: ['https://api.example.com#x'] }), /^invalid_client_metadata: resources\[0\] .* fragment/],
    ['redirect URIs that are not a list', webApp({ redirectUris: null as never }), /redirect_uris must be an array/],
  ])('refuses %s', (_, metadata, problem) => {
    expect(clientMetadataProblem(metadata, 'admin', DEVELOPMENT)).toMatch(problem);
  });

  it('lets only an admin allow the password grant or skip consent', () => {
    expect(clientMetadataProblem(webApp({ grantTypes: ['authorization_code', 'password'] }), 'self', DEVELOPMENT)).toMatch(/only an admin may allow the password grant/);
    expect(clientMetadataProblem(webApp({ skipConsent: true }), 'self', DEVELOPMENT)).toMatch(/only an admin may make a client first-party/);
    expect(clientMetadataProblem(webApp(), 'self', DEVELOPMENT)).toBeNull();
  });
});

describe('backchannel_logout_uri', () => {
  const withUri = (backchannelLogoutUri: string) => webApp({ backchannelLogoutUri, backchannelLogoutSessionRequired: true });

  it('takes https anywhere public, and http on a loopback host outside production', () => {
    expect(clientMetadataProblem(withUri('https://app.example.com/bcl?x=1'), 'admin', PRODUCTION)).toBeNull();
    for (const uri of ['http://127.0.0.1:8080/bcl', 'http://[::1]/bcl', 'http://localhost:3000/bcl']) expect(clientMetadataProblem(withUri(uri), 'admin', DEVELOPMENT)).toBeNull();
  });

  it.each([
    ['a fragment', 'https://app.example.com/bcl#x', DEVELOPMENT, /backchannel_logout_uri must not contain a fragment/],
    ['a relative URI', '/bcl', DEVELOPMENT, /backchannel_logout_uri must be an absolute URI/],
    ['http on a public host', 'http://app.example.com/bcl', DEVELOPMENT, /backchannel_logout_uri must use https; http only on a loopback host/],
    ['http on loopback in production', 'http://127.0.0.1/bcl', PRODUCTION, /backchannel_logout_uri must use https$/],
    ['https on loopback in production', 'https://127.0.0.1/bcl', PRODUCTION, /must not name a loopback, private/],
    ['localhost in production', 'https://localhost/bcl', PRODUCTION, /must not name a loopback, private/],
    ['a private address in production', 'https://10.0.0.5/bcl', PRODUCTION, /must not name a loopback, private/],
    ['the metadata service', 'https://169.254.169.254/latest', DEVELOPMENT, /must not name a loopback, private/],
    ['an IPv4-mapped private address', 'https://[::ffff:192.168.0.1]/bcl', PRODUCTION, /must not name a loopback, private/],
    ['user information', 'https://good@evil.example/bcl', PRODUCTION, /must not contain user information/],
  ])('refuses %s', (_, uri, policy, problem) => {
    expect(clientMetadataProblem(withUri(uri), 'admin', policy)).toMatch(problem);
  });

  it('ALLOW_PRIVATE_CLIENT_URIS lets production name private and loopback addresses', () => {
    expect(clientMetadataProblem(withUri('https://10.0.0.5/bcl'), 'admin', PRODUCTION_PRIVATE_ALLOWED)).toBeNull();
    expect(clientMetadataProblem(withUri('http://127.0.0.1/bcl'), 'admin', PRODUCTION_PRIVATE_ALLOWED)).toBeNull();
  });

  it('private_key_jwt: exactly one of jwks and jwks_uri, public keys only', () => {
    const key = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
    const keyed = (changes: Partial<ClientMetadata>) => webApp({ tokenEndpointAuthMethod: 'private_key_jwt', ...changes });
    expect(clientMetadataProblem(keyed({ jwks: { keys: [key] } }), 'admin', DEVELOPMENT)).toBeNull();
    expect(clientMetadataProblem(keyed({ jwksUri: 'https://app.example.com/jwks.json' }), 'admin', DEVELOPMENT)).toBeNull();
    expect(clientMetadataProblem(keyed({}), 'admin', DEVELOPMENT)).toMatch(/private_key_jwt needs jwks or jwks_uri/);
    expect(clientMetadataProblem(keyed({ jwks: { keys: [key] }, jwksUri: 'https://app.example.com/jwks.json' }), 'admin', DEVELOPMENT)).toMatch(/cannot both be given/);
    for (const member of ['d', 'p', 'q', 'k']) {
      expect(clientMetadataProblem(keyed({ jwks: { keys: [{ ...key, [member]: 'secret' }] } }), 'admin', DEVELOPMENT)).toMatch(new RegExp(`private member "${member}"`));
    }
    expect(clientMetadataProblem(keyed({ jwks: { keys: [] } }), 'admin', DEVELOPMENT)).toMatch(/jwks must hold 1 to 10 keys/);
    expect(clientMetadataProblem(keyed({ jwks: { keys: [{ ...key, kty: 'oct' }] } }), 'admin', DEVELOPMENT)).toMatch(/RSA, EC or OKP/);
    expect(clientMetadataProblem(keyed({ jwksUri: 'http://10.0.0.1/jwks.json' }), 'admin', PRODUCTION)).toMatch(/jwks_uri/);
  });

  it('require_pushed_authorization_requests is a boolean', () => {
    expect(clientMetadataProblem(webApp({ requirePushedAuthorizationRequests: 'yes' as never }), 'admin', DEVELOPMENT)).toMatch(/require_pushed_authorization_requests must be true or false/);
  });

  it('backchannel_logout_session_required is a boolean', () => {
    expect(clientMetadataProblem(webApp({ backchannelLogoutSessionRequired: 'yes' as never }), 'admin', DEVELOPMENT)).toMatch(/backchannel_logout_session_required must be true or false/);
  });
});
