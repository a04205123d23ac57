import 'reflect-metadata';
import type { GrantType } from '../oauth/clients/client-metadata.js';
import { configurationOrExit, contextOrExit, failureOf, parseCommandLine } from './cli-exit.js';

const USAGE =
  'npm run client:create -- --name <name> [--redirect-uri <uri>]… [--post-logout-redirect-uri <uri>]… [--grant <grant type>]… [--public] [--native] [--scope "<scopes>"] [--resource <uri>]… [--first-party] [--backchannel-logout-uri <uri>]';
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
                   (OpenID Connect Back-Channel Logout; https, or http on a loopback host outside production)`;

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
      tokenEndpointAuthMethod: values.public ? 'none' : undefined,
      applicationType: values.native ? 'native' : undefined,
      scope: values.scope,
      resources: values.resource,
      skipConsent: values['first-party'],
      backchannelLogoutUri: values['backchannel-logout-uri'],
    },
    { actorId: null, request: null },
  );
  console.log(`Created ${clientSecret === null ? 'public' : 'confidential'} client "${client.clientName}".`);
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
