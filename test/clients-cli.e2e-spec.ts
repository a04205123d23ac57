import { mkdtempSync, writeFileSync } from 'node:fs';
import { exportJWK, generateKeyPair } from 'jose';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientAuthenticationService } from '../src/oauth/client-authentication/client-authentication.service.js';
import { basic, createTestApp, type TestApp } from './helpers/app.js';
import { runBuilt } from './helpers/server.js';

// These run the built program (npm test builds first), as a user would, on the database of the app below.
const DATABASE_URL = `sqlite:${join(mkdtempSync(join(tmpdir(), 'gatehouse-client-cli-')), 'app.sqlite')}`;
const createClient = (args: string[]) => runBuilt('dist/src/cli/create-client.js', args, { DATABASE_URL });
const USAGE = 'npm run client:create -- --name <name> [--redirect-uri <uri>]… [--post-logout-redirect-uri <uri>]… [--grant <grant type>]… [--public] [--native] [--scope "<scopes>"] [--resource <uri>]… [--first-party] [--backchannel-logout-uri <uri>] [--jwks-uri <url> | --jwks <file>] [--dpop]';

const ROOT = { username: 'cli-admin', password: 'command-line-keeper' };
const asRoot = basic(ROOT.username, ROOT.password);
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp({ DATABASE_URL, ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password });
});
afterAll(() => testApp.close());

const clientOf = async (clientId: string) => (await testApp.http().get(`/clients/${clientId}`).set('Authorization', asRoot).expect(200)).body;
const clientCount = async () => (await testApp.http().get('/clients').set('Authorization', asRoot).expect(200)).body.total as number;

describe('npm run client:create', () => {
  it('registers a confidential client and prints its client_id and secret once; the service knows it and takes the secret', async () => {
    const { code, stdout, stderr } = await createClient(['--name', 'My app', '--redirect-uri', 'http://127.0.0.1:3000/callback', '--post-logout-redirect-uri', 'http://127.0.0.1:3000/']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const match = /^Created confidential client "My app"\.\nclient_id: {5}([A-Za-z0-9_-]{22})\nclient_secret: ([A-Za-z0-9_-]{43})\nThe secret is shown this once: Gatehouse keeps only its hash\. A new one: POST \/clients\/\{client_id\}\/secret\.\n$/.exec(stdout);
    expect(match, stdout).not.toBeNull();
    const [, clientId, secret] = match!;
    expect(await clientOf(clientId)).toMatchObject({
      client_name: 'My app',
      redirect_uris: ['http://127.0.0.1:3000/callback'],
      post_logout_redirect_uris: ['http://127.0.0.1:3000/'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      application_type: 'web',
      skip_consent: false,
    });
    const authorization = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
    const client = await testApp.app.get(ClientAuthenticationService).authenticate({ headers: { authorization }, ip: '198.51.100.4', id: 'cli-suite' }, {});
    expect(client?.clientId).toBe(clientId);
    // The audit trail has it, from nobody signed in, without the secret.
    const { body } = await testApp.http().get('/audit').query({ type: 'client.created' }).set('Authorization', asRoot).expect(200);
    const event = body.items.find((item: { details: { clientId: string } }) => item.details.clientId === clientId);
    expect(event).toMatchObject({ actorId: null, requestId: null });
    expect(JSON.stringify(body)).not.toContain(secret);
  });

  it('registers a public first-party native client with the grants, scope and resources given, and prints no secret', async () => {
    const { code, stdout } = await createClient([
      '--name', 'Desktop app', '--redirect-uri', 'http://127.0.0.1/callback', '--redirect-uri', 'com.example.desktop:/callback',
      '--public', '--native', '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid offline_access', '--resource', 'https://api.example.com', '--first-party',
      '--backchannel-logout-uri', 'http://127.0.0.1:4000/backchannel-logout',
    ]);
    expect(code).toBe(0);
    const [, clientId] = /^Created public client "Desktop app"\.\nclient_id: {5}([A-Za-z0-9_-]{22})\n$/.exec(stdout)!;
    expect(await clientOf(clientId)).toMatchObject({
      redirect_uris: ['http://127.0.0.1/callback', 'com.example.desktop:/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      scope: 'openid offline_access',
      resources: ['https://api.example.com'],
      skip_consent: true,
      backchannel_logout_uri: 'http://127.0.0.1:4000/backchannel-logout',
    });
  });

  it('registers a machine client for client_credentials', async () => {
    const { code, stdout } = await createClient(['--name', 'Reports job', '--grant', 'client_credentials']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Created confidential client "Reports job"\.\nclient_id: {5}\S+\nclient_secret: \S+\n/);
  });

  it('registers a private_key_jwt client with --jwks-uri, or with --jwks from a file, and --dpop; no secret is made', async () => {
    const byUri = await createClient(['--name', 'Key job', '--grant', 'client_credentials', '--jwks-uri', 'https://keys.example.com/jwks.json', '--dpop']);
    expect(byUri).toMatchObject({ code: 0, stderr: '' });
    const match = /^Created confidential \(private_key_jwt\) client "Key job"\.\nclient_id: {5}([A-Za-z0-9_-]{22})\n$/.exec(byUri.stdout);
    expect(match, byUri.stdout).not.toBeNull();
    expect(await clientOf(match![1])).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://keys.example.com/jwks.json', jwks: null, dpop_bound_access_tokens: true });

    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const folder = mkdtempSync(join(tmpdir(), 'gatehouse-client-cli-jwks-'));
    const jwk = { ...(await exportJWK(publicKey)), kid: 'cli-1', alg: 'ES256', use: 'sig' };
    writeFileSync(join(folder, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    const byFile = await createClient(['--name', 'Key job 2', '--grant', 'client_credentials', '--jwks', join(folder, 'jwks.json')]);
    expect(byFile).toMatchObject({ code: 0, stderr: '' });
    const clientId = /client_id: {5}(\S+)/.exec(byFile.stdout)![1];
    expect(await clientOf(clientId)).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] }, jwks_uri: null, dpop_bound_access_tokens: false });

    // A private key, a missing file, both options: one clear line, nothing stored.
    writeFileSync(join(folder, 'private.json'), JSON.stringify({ keys: [await exportJWK(privateKey)] }));
    const before = await clientCount();
    expect(await createClient(['--name', 'Leaky', '--grant', 'client_credentials', '--jwks', join(folder, 'private.json')])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining('private member "d"') });
    expect(await createClient(['--name', 'Gone', '--grant', 'client_credentials', '--jwks', join(folder, 'missing.json')])).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot be read (ENOENT)') });
    expect(await createClient(['--name', 'Both', '--jwks', 'x', '--jwks-uri', 'https://keys.example.com/k'])).toMatchObject({ code: 1, stderr: `client:create: --jwks-uri and --jwks: give one of them; usage: ${USAGE}\n` });
    expect(await clientCount()).toBe(before);
  });

  it.each([
    [['--redirect-uri', 'https://app.example.com/cb'], `client:create: --name is required; usage: ${USAGE}\n`],
    [['--name', 'x', '--redirect'], `client:create: unknown option '--redirect'; usage: ${USAGE}\n`],
    [['--name', 'x', 'extra'], `client:create: unexpected extra; usage: ${USAGE}\n`],
    [['--name', 'x', '--public=yes'], `client:create: option '--public' does not take an argument; usage: ${USAGE}\n`],
    [['--name', 'Web', '--redirect-uri', 'http://app.example.com/cb'], 'client:create: invalid_redirect_uri: redirect_uris[0] (http://app.example.com/cb) must use https; http only on a loopback host (127.0.0.1, [::1], localhost)\n'],
    [['--name', 'Web'], 'client:create: invalid_redirect_uri: the authorization_code grant needs at least one redirect URI in redirect_uris\n'],
    [['--name', 'Job', '--grant', 'client_credentials', '--public'], 'client:create: invalid_client_metadata: client_credentials needs a confidential client (token_endpoint_auth_method other than none)\n'],
  ])('refuses %j with one clear line and exit code 1, and stores nothing', async (args, stderr) => {
    const before = await clientCount();
    expect(await createClient(args)).toMatchObject({ code: 1, stdout: '', stderr });
    expect(await clientCount()).toBe(before);
  });

  it('explains itself with --help', async () => {
    const { code, stdout } = await createClient(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: ${USAGE}`);
    expect(stdout).toContain('--first-party');
  });
});
