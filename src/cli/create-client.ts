import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import type { GrantType, JsonWebKeySet } from '../oauth/clients/client-metadata.js';
import { configurationOrExit, contextOrExit, failureOf, parseCommandLine } from './cli-exit.js';

const USAGE =
  'npm run client:create -- --name <name> [--redirect-uri <uri>]… [--post-logout-redirect-uri <uri>]… [--grant <grant type>]… [--public] [--native] [--scope "<scopes>"] [--resource <uri>]… [--first-party] [--backchannel-logout-uri <uri>] [--jwks-uri <url> | --jwks <file>] [--dpop]';
const HELP = `Usage: ${USAGE}
Registers an OAuth client, as POST /clients does, and prints its client_id and, for a confidential client, its secret: shown this once, Gatehouse keeps only its hash.
  --name           the application's name, shown on the login and consent pages (required)
  --redirect-uri   where the authorization code goes back to; repeat for several (required for authorization_code)
  --post-logout-redirect-uri
                   where RP-initiated logout may send the browser back to (exact match); repeat for several
  --grant          authorization_code (the default), refresh_token, client_credentials, password,
                   urn:ietf:params:oauth:grant-type:device_code; repeat for several
  --public         a public client (token_endpoint_auth_method none): no secret, for browser and mobile apps
  --native         application_type native: private-use redirect schemes, loopback redirects on any port
  --scope          the scopes it may ask for, space-separated (default: openid profile email offline_access)
  --resource       a resource indicator (RFC 8707) it may ask tokens for; repeat for several
  --first-party    skip the consent page
  --backchannel-logout-uri
                   where Gatehouse POSTs a logout_token when a session the client took part in ends
                   (OpenID Connect Back-Channel Logout; https, or http on a loopback host outside production)
  --jwks-uri       private_key_jwt (RFC 7523): where the client publishes its public keys (fetched by Gatehouse:
                   https, or http on a loopback host outside production); no secret is made
  --jwks           private_key_jwt with the public keys given in a file ({"keys": [...]}, a JWK Set)
  --dpop           dpop_bound_access_tokens (RFC 9449): token requests must carry a DPoP proof`;

const fail: (message: string) => never = failureOf('client:create');
const misuse = (problem: string): never => fail(`${problem}; usage: ${USAGE}`);

const { values, positionals } = parseCommandLine(
  {
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      grant: { type: 'string', multiple: true },
      public: { type: 'boolean', default: false },
      native: { type: 'boolean', default: false },
      scope: { type: 'string' },
      resource: { type: 'string', multiple: true },
      'first-party': { type: 'boolean', default: false },
      'backchannel-logout-uri': { type: 'string' },
      'jwks-uri': { type: 'string' },
      jwks: { type: 'string' },
      dpop: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  },
  misuse,
);
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (positionals.length) misuse(`unexpected ${positionals.join(' ')}`);
if (values.name === undefined) misuse('--name is required');
if (values['jwks-uri'] !== undefined && values.jwks !== undefined) misuse('--jwks-uri and --jwks: give one of them');
if (values.public && (values['jwks-uri'] !== undefined || values.jwks !== undefined)) misuse('--public and keys: a public client has no keys');
const jwks = values.jwks === undefined ? undefined : readJwks(values.jwks);
const privateKeyJwt = values['jwks-uri'] !== undefined || jwks !== undefined;

/** The JWK Set of --jwks, as the file holds it; its keys are checked by the service (public keys only), as for POST /clients. */
function readJwks(file: string): JsonWebKeySet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return fail(`--jwks ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text) as JsonWebKeySet;
  } catch {
    return fail(`--jwks ${file} is not JSON (a JWK Set: {"keys": [...]})`);
  }
}
const config = configurationOrExit(fail);

// Nest and TypeORM load only now: a mistake in the command line is told at once.
const [{ BadRequestException }, { CliModule }, { ClientsService }] = await Promise.all([
  import('@nestjs/common'),
  import('./cli.module.js'),
  import('../oauth/clients/clients.service.js'),
]);
const app = await contextOrExit(CliModule.forRoot(config, 'clients'), fail);
try {
  // The metadata is checked by the service, as for POST /clients; the audit trail records the registration.
  const { client, clientSecret } = await app.get(ClientsService).create(
    {
      clientName: values.name!,
      redirectUris: values['redirect-uri'],
      postLogoutRedirectUris: values['post-logout-redirect-uri'],
      grantTypes: values.grant as GrantType[] | undefined,
      tokenEndpointAuthMethod: values.public ? 'none' : privateKeyJwt ? 'private_key_jwt' : undefined,
      jwksUri: values['jwks-uri'],
      jwks,
      dpopBoundAccessTokens: values.dpop,
      applicationType: values.native ? 'native' : undefined,
      scope: values.scope,
      resources: values.resource,
      skipConsent: values['first-party'],
      backchannelLogoutUri: values['backchannel-logout-uri'],
    },
    { actorId: null, request: null },
  );
  const kind = privateKeyJwt ? 'confidential (private_key_jwt)' : clientSecret === null ? 'public' : 'confidential';
  console.log(`Created ${kind} client "${client.clientName}".`);
  console.log(`client_id:     ${client.clientId}`);
  if (clientSecret !== null) {
    console.log(`client_secret: ${clientSecret}`);
    console.log('The secret is shown this once: Gatehouse keeps only its hash. A new one: POST /clients/{client_id}/secret.');
  }
} catch (error) {
  if (error instanceof BadRequestException) fail(error.message);
  throw error;
} finally {
  await app.close();
}
