import { setTimeout as sleep } from 'node:timers/promises';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationFailedException } from '../src/http/authentication-failed.exception.js';
import { ClientAuthenticationService } from '../src/oauth/client-authentication/client-authentication.service.js';
import { CLIENT_DELETED, type ClientDeletedEvent } from '../src/oauth/clients/events/client-events.js';
import { basic, createTestApp, expectNoLeak, registerAndLogin, type TestApp } from './helpers/app.js';

let testApp: TestApp;
const ROOT = { username: 'registrar', password: 'keeper-of-the-clients' };
const asRoot = basic(ROOT.username, ROOT.password);
let rootId: number;
let asUser: string;

beforeAll(async () => {
  // A grace of one second, so a rotated secret's end can be watched.
  testApp = await createTestApp({ ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password, CLIENT_SECRET_GRACE: '1' });
  rootId = (await testApp.http().get('/auth/me').set('Authorization', asRoot).expect(200)).body.id;
  asUser = `Bearer ${(await registerAndLogin(testApp, 'not-an-admin')).accessToken}`;
});
afterAll(() => testApp.close());

const WEB_APP = { client_name: 'Web app', redirect_uris: ['https://app.example.com/callback'] };
const createClient = (body: object, authorization = asRoot) => testApp.http().post('/clients').set('Authorization', authorization).send(body);

/** Client authentication as the token endpoint will ask for it, over the app's own service. */
function authenticate(clientId: string, secret: string) {
  const authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  return testApp.app.get(ClientAuthenticationService).authenticate({ headers: { authorization }, ip: '198.51.100.4', id: 'clients-suite' }, {});
}
const authenticates = (clientId: string, secret: string) =>
  authenticate(clientId, secret).then(
    (client) => client?.clientId === clientId,
    (error: unknown) => (error instanceof AuthenticationFailedException ? false : Promise.reject(error)),
  );

/** Events are stored after the answer: the events of `type` about `clientId`, once there are `count` of them (at most 5 s). */
async function auditEvents(type: string, clientId: string, count = 1): Promise<{ actorId: number | null; details: Record<string, unknown> }[]> {
  for (const started = Date.now(); ; await sleep(20)) {
    const { body } = await testApp.http().get('/audit').query({ type, pageSize: 100 }).set('Authorization', asRoot).expect(200);
    const found = (body.items as { actorId: number | null; details: Record<string, unknown> }[]).filter((event) => event.details.clientId === clientId);
    if (found.length >= count) return found;
    if (Date.now() - started > 5000) throw new Error(`no ${type} event for ${clientId} within 5 s`);
  }
}

const clientCount = async () => (await testApp.http().get('/clients').set('Authorization', asRoot).expect(200)).body.total as number;

describe('POST /clients', () => {
  it('registers a confidential client: 201 with RFC 7591 metadata and the secret, shown this once and stored only as a hash', async () => {
    const { body } = await createClient({ ...WEB_APP, grant_types: ['authorization_code', 'refresh_token'], skip_consent: true, resources: ['https://api.example.com'] }).expect(201);
    expect(body).toEqual({
      client_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      client_secret_expires_at: 0,
      client_id_issued_at: expect.any(Number),
      client_name: 'Web app',
      logo_uri: null,
      client_uri: null,
      redirect_uris: ['https://app.example.com/callback'],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile email offline_access',
      application_type: 'web',
      skip_consent: true,
      resources: ['https://api.example.com'],
      backchannel_logout_uri: null,
      backchannel_logout_session_required: false,
      require_pushed_authorization_requests: false,
      dpop_bound_access_tokens: false,
      jwks: null,
      jwks_uri: null,
    });
    expect(Math.abs(body.client_id_issued_at - Date.now() / 1000)).toBeLessThan(60);
    expect(await authenticates(body.client_id, body.client_secret)).toBe(true);

    // Never again: not in GET, not in the list, not in the database, not in the audit trail.
    const { body: shown } = await testApp.http().get(`/clients/${body.client_id}`).set('Authorization', asRoot).expect(200);
    const { client_secret: _secret, client_secret_expires_at: _expiry, ...metadata } = body;
    expect(shown).toEqual(metadata);
    const list = await testApp.http().get('/clients?pageSize=100').set('Authorization', asRoot).expect(200);
    const rows = await testApp.app.get(DataSource).query(`SELECT * FROM oauth_clients WHERE client_id = '${body.client_id}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    const [created] = await auditEvents('client.created', body.client_id);
    expect(created).toMatchObject({ actorId: rootId, details: { clientId: body.client_id, clientName: 'Web app', skipConsent: true } });
    for (const text of [JSON.stringify(shown), JSON.stringify(list.body), JSON.stringify(rows), JSON.stringify(created)]) expect(text).not.toContain(body.client_secret);
    expect(JSON.stringify(list.body)).not.toContain(rows[0].secret_hash);
  });

  it('registers a public native client with no secret, whose loopback redirect matches any port', async () => {
    const { body } = await createClient({
      client_name: 'CLI tool',
      redirect_uris: ['http://127.0.0.1:8400/callback', 'com.example.tool:/callback'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    }).expect(201);
    expect(body).not.toHaveProperty('client_secret');
    expect(body).not.toHaveProperty('client_secret_expires_at');
    expect(body).toMatchObject({ token_endpoint_auth_method: 'none', application_type: 'native' });
    const service = testApp.app.get(ClientAuthenticationService);
    expect((await service.authenticate({ headers: {}, ip: '198.51.100.4', id: 'x' }, { client_id: body.client_id }))?.clientId).toBe(body.client_id);
  });

  it('registers a machine client for client_credentials without redirect URIs', async () => {
    const { body } = await createClient({ client_name: 'Reports job', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', scope: 'reports:read' }).expect(201);
    expect(body).toMatchObject({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'reports:read', client_secret: expect.any(String) });
  });

  it.each([
    ['a relative redirect URI', { redirect_uris: ['/callback'] }, /^invalid_redirect_uri: redirect_uris\[0\] \(\/callback\) must be an absolute URI/],
    ['a fragment', { redirect_uris: ['https://app.example.com/callback#x'] }, /fragment/],
    ['a wildcard', { redirect_uris: ['https://*.example.com/callback'] }, /wildcard/],
    ['http on a public host', { redirect_uris: ['http://app.example.com/callback'] }, /must use https; http only on a loopback host/],
    ['http on a name that only starts like localhost', { redirect_uris: ['http://localhost.evil.example/callback'] }, /loopback/],
    ['user information', { redirect_uris: ['https://good.example@evil.example/cb'] }, /user information/],
    ['a private-use scheme on a web client', { redirect_uris: ['com.example.app:/callback'] }, /only for application_type native/],
    ['a private-use scheme that is no reverse domain', { redirect_uris: ['myapp:/callback'], application_type: 'native' }, /reverse domain name/],
    ['javascript:', { redirect_uris: ['javascript:alert(1)'], application_type: 'native' }, /reverse domain name/],
    ['a post-logout redirect over http', { post_logout_redirect_uris: ['http://app.example.com/'] }, /^invalid_redirect_uri: post_logout_redirect_uris\[0\]/],
    ['the code grant without a redirect URI', { redirect_uris: [] }, /^invalid_redirect_uri: the authorization_code grant needs at least one redirect URI/],
    ['client_credentials for a public client', { grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, /client_credentials needs a confidential client/],
    ['response_types that do not follow the grants', { grant_types: ['client_credentials'], response_types: ['code'] }, /response_types must be \[\]/],
    ['an unknown grant', { grant_types: ['implicit'] }, /grant_types/],
    ['an unknown authentication method', { token_endpoint_auth_method: 'client_secret_jwt' }, /token_endpoint_auth_method/],
    ['a javascript: logo', { logo_uri: 'javascript:alert(1)' }, /^invalid_client_metadata: logo_uri/],
    ['a bad scope', { scope: 'openid  profile' }, /scope must be scope tokens/],
    ['a resource with a fragment', { resources: ['https://api.example.com#x'] }, /resources\[0\]/],
    ['skip_consent that is not a boolean', { skip_consent: 'yes' }, /skip_consent/],
    ['redirect URIs that are not strings', { redirect_uris: [42] }, /redirect_uris/],
    ['an unknown field', { client_secret: 'chosen-by-me' }, /property client_secret should not exist/],
    ['no name', { client_name: undefined }, /client_name/],
  ])('refuses %s with 400 and stores nothing', async (_, change, message) => {
    const before = await clientCount();
    const { body } = await createClient({ ...WEB_APP, ...change }).expect(400);
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect([body.message].flat().join('; ')).toMatch(message);
    expectNoLeak(body);
    expect(await clientCount()).toBe(before);
  });
});

describe('GET /clients', () => {
  it('lists clients a page at a time, as /users does', async () => {
    for (const name of ['List one', 'List two', 'List three']) await createClient({ ...WEB_APP, client_name: name }).expect(201);
    const total = await clientCount();
    const first = await testApp.http().get('/clients?page=1&pageSize=2').set('Authorization', asRoot).expect(200);
    expect(first.body).toMatchObject({ page: 1, pageSize: 2, total });
    expect(first.body.items).toHaveLength(2);
    const everything = [];
    for (let page = 1; page <= Math.ceil(total / 2); page++) everything.push(...(await testApp.http().get(`/clients?page=${page}&pageSize=2`).set('Authorization', asRoot).expect(200)).body.items);
    expect(new Set(everything.map((client: { client_id: string }) => client.client_id)).size).toBe(total);
    expect(everything.map((client: { client_name: string }) => client.client_name)).toEqual(expect.arrayContaining(['List one', 'List two', 'List three']));
    expect(JSON.stringify(everything)).not.toMatch(/"client_secret"|secret_hash/);
    const defaults = await testApp.http().get('/clients').set('Authorization', asRoot).expect(200);
    expect(defaults.body).toMatchObject({ page: 1, pageSize: 20 });
  });

  it.each(['page=0', 'pageSize=101', 'page=abc', 'sort=client_id'])('answers ?%s with 400', async (query) => {
    await testApp.http().get(`/clients?${query}`).set('Authorization', asRoot).expect(400);
  });
});

describe('PATCH /clients/:client_id', () => {
  it('replaces the fields given, checks the result as a new registration would, and audits which fields changed', async () => {
    const { body: client } = await createClient(WEB_APP).expect(201);
    const patch = (body: object) => testApp.http().patch(`/clients/${client.client_id}`).set('Authorization', asRoot).send(body);
    const { body: changed } = await patch({ client_name: 'Renamed app', redirect_uris: ['https://app.example.com/new-callback'], logo_uri: 'https://app.example.com/logo.png' }).expect(200);
    expect(changed).toMatchObject({ client_id: client.client_id, client_name: 'Renamed app', redirect_uris: ['https://app.example.com/new-callback'], logo_uri: 'https://app.example.com/logo.png', grant_types: ['authorization_code'] });
    expect(changed).not.toHaveProperty('client_secret');
    expect((await testApp.http().get(`/clients/${client.client_id}`).set('Authorization', asRoot).expect(200)).body).toEqual(changed);
    const [updated] = await auditEvents('client.updated', client.client_id);
    expect(updated).toMatchObject({ actorId: rootId, details: { fields: 'client_name logo_uri redirect_uris' } });

    // The whole must still hold: nothing is changed by a refused patch.
    const refused = await patch({ redirect_uris: [] }).expect(400);
    expect(refused.body.message).toMatch(/authorization_code grant needs at least one redirect URI/);
    await patch({ redirect_uris: ['http://app.example.com/cb'] }).expect(400);
    await patch({ client_name: null }).expect(400);
    await patch({ owner: 'someone' }).expect(400);
    expect((await testApp.http().get(`/clients/${client.client_id}`).set('Authorization', asRoot).expect(200)).body).toEqual(changed);
    // null removes a logo.
    expect((await patch({ logo_uri: null }).expect(200)).body.logo_uri).toBeNull();
    // The secret was never touched.
    expect(await authenticates(client.client_id, client.client_secret)).toBe(true);
  });

  it('gives a public client made confidential its secret in the answer', async () => {
    const { body: client } = await createClient({ ...WEB_APP, token_endpoint_auth_method: 'none' }).expect(201);
    const { body } = await testApp.http().patch(`/clients/${client.client_id}`).set('Authorization', asRoot).send({ token_endpoint_auth_method: 'client_secret_basic' }).expect(200);
    expect(body).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic', client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), client_secret_expires_at: 0 });
    expect(await authenticates(client.client_id, body.client_secret)).toBe(true);
  });
});

describe('POST /clients/:client_id/secret', () => {
  it('rotates: the new secret works, the old one only until its grace period ends', async () => {
    const { body: client } = await createClient(WEB_APP).expect(201);
    const { body } = await testApp.http().post(`/clients/${client.client_id}/secret`).set('Authorization', asRoot).expect(201);
    expect(body).toEqual({ client_id: client.client_id, client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), client_secret_expires_at: 0, previous_secret_expires_at: expect.any(Number) });
    expect(body.client_secret).not.toBe(client.client_secret);
    // CLIENT_SECRET_GRACE=1: at least one second, a whole second of the clock.
    expect(body.previous_secret_expires_at * 1000 - Date.now()).toBeGreaterThan(0);
    expect(body.previous_secret_expires_at * 1000 - Date.now()).toBeLessThanOrEqual(2000);
    expect(await authenticates(client.client_id, body.client_secret)).toBe(true);
    expect(await authenticates(client.client_id, client.client_secret)).toBe(true);

    await sleep(body.previous_secret_expires_at * 1000 - Date.now() + 50);
    expect(await authenticates(client.client_id, client.client_secret)).toBe(false);
    expect(await authenticates(client.client_id, body.client_secret)).toBe(true);

    const [rotated] = await auditEvents('client.secret-rotated', client.client_id);
    expect(rotated).toMatchObject({ actorId: rootId, details: { previousSecretExpiresAt: new Date(body.previous_secret_expires_at * 1000).toISOString() } });
    expect(JSON.stringify(rotated)).not.toContain(body.client_secret);
  });

  it('answers 400 for a public client (no secret) and 404 for an unknown one', async () => {
    const { body: client } = await createClient({ ...WEB_APP, token_endpoint_auth_method: 'none' }).expect(201);
    const { body } = await testApp.http().post(`/clients/${client.client_id}/secret`).set('Authorization', asRoot).expect(400);
    expect(body.message).toMatch(/public .* no secret to rotate/);
    await testApp.http().post('/clients/no-such-client/secret').set('Authorization', asRoot).expect(404);
  });
});

describe('DELETE /clients/:client_id', () => {
  it('deletes: 204, CLIENT_DELETED is heard before the answer, then 404 and the secret no longer authenticates', async () => {
    const { body: client } = await createClient(WEB_APP).expect(201);
    const heard: string[] = [];
    const listener = (event: ClientDeletedEvent) => {
      heard.push(event.clientId);
    };
    const events = testApp.app.get(EventEmitter2);
    events.on(CLIENT_DELETED, listener);
    try {
      await testApp.http().delete(`/clients/${client.client_id}`).set('Authorization', asRoot).expect(204);
      expect(heard).toEqual([client.client_id]);
    } finally {
      events.off(CLIENT_DELETED, listener);
    }
    await testApp.http().get(`/clients/${client.client_id}`).set('Authorization', asRoot).expect(404);
    await testApp.http().delete(`/clients/${client.client_id}`).set('Authorization', asRoot).expect(404);
    await testApp.http().patch(`/clients/${client.client_id}`).set('Authorization', asRoot).send({ client_name: 'Back' }).expect(404);
    expect(await authenticates(client.client_id, client.client_secret)).toBe(false);
    const [deleted] = await auditEvents('client.deleted', client.client_id);
    expect(deleted.actorId).toBe(rootId);
  });
});

describe('access and unknown ids', () => {
  it.each([
    ['get', '/clients'],
    ['post', '/clients'],
    ['get', '/clients/some-client'],
    ['patch', '/clients/some-client'],
    ['delete', '/clients/some-client'],
    ['post', '/clients/some-client/secret'],
  ] as const)('%s %s is for admins only: 401 without credentials, 403 for a user', async (method, path) => {
    const before = await clientCount();
    const anonymous = await testApp.http()[method](path).send(WEB_APP).expect(401);
    expect(anonymous.headers['www-authenticate']).toContain('Basic realm="gatehouse"');
    const response = await testApp.http()[method](path).set('Authorization', asUser).send(WEB_APP).expect(403);
    expect(response.body.message).toBe('You do not have permission to access this resource.');
    expect(await clientCount()).toBe(before);
  });

  it.each(['no-such-client', 'a'.repeat(65), '..%2F..%2Fetc', "x'%20OR%20'1'='1"])('answers 404 for the unknown client_id %s', async (clientId) => {
    const { body } = await testApp.http().get(`/clients/${clientId}`).set('Authorization', asRoot).expect(404);
    expect(body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expectNoLeak(body);
  });
});
