import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { generate } from 'otplib';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './helpers/app.js';
import { approveDeviceThroughPages, formOf } from './helpers/hosted-login.js';
import type { RunningServer } from './helpers/server.js';
import { startTwoInstances, type TwoInstances } from './helpers/two-instances.js';
import { createListeningApp, type ListeningApp } from './helpers/listening-app.js';

/**
 * The device authorization grant (RFC 8628, issue 27 item 2): a CLI-style
 * client driven by oauth4webapi 3 asks for codes and polls; the person,
 * a cookie-keeping supertest agent, enters the user code on /device, signs
 * in and allows (or denies) on the hosted pages.
 */
let gatehouse: ListeningApp;
let as: oauth.AuthorizationServer;
const ADMIN = { username: 'device-admin', password: 'device-keeper-of-clients-1' };
const PASSWORD = 'device-person-password-1';
const WRONG_CODE_LIMIT = 8;
const insecure = { [oauth.allowInsecureRequests]: true } as const;

async function register(body: object): Promise<oauth.Client> {
  const response = await fetch(`${gatehouse.baseUrl}/clients`, {
    method: 'POST',
    headers: { authorization: basic(ADMIN.username, ADMIN.password), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return { client_id: ((await response.json()) as { client_id: string }).client_id };
}

let people = 0;
async function newPerson(): Promise<string> {
  const username = `device-person-${++people}`;
  const response = await fetch(`${gatehouse.baseUrl}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  expect(response.status).toBe(201);
  return username;
}

/** The codes, as a CLI asks for them. */
async function startDevice(client: oauth.Client, scope = 'openid profile'): Promise<oauth.DeviceAuthorizationResponse> {
  const response = await oauth.deviceAuthorizationRequest(as, client, oauth.None(), { scope }, insecure);
  return oauth.processDeviceAuthorizationResponse(as, client, response);
}

/** One poll; the RFC 8628 error code when it is not the tokens. */
async function poll(client: oauth.Client, deviceCode: string): Promise<oauth.TokenEndpointResponse | { error: string; interval?: number }> {
  const response = await oauth.deviceCodeGrantRequest(as, client, oauth.None(), deviceCode, insecure);
  try {
    return await oauth.processDeviceCodeResponse(as, client, response);
  } catch (error) {
    if (!(error instanceof oauth.ResponseBodyError)) throw error;
    return { error: error.error, interval: (error.cause as { interval?: number }).interval };
  }
}

/** The device waited its interval: the test moves the last poll back rather than sleeping 5 s. */
async function waitInterval(): Promise<void> {
  await gatehouse.app.get(DataSource).query('UPDATE device_authorizations SET last_polled_at = NULL');
}

/** The person on the verification page with `userCode`, signs in if asked, and answers; the final page. */
function approve(userCode: string, username: string, decision: 'allow' | 'deny' = 'allow', agent = request.agent(gatehouse.baseUrl), otp?: () => Promise<string>): Promise<request.Response> {
  return approveDeviceThroughPages(agent, userCode, username, PASSWORD, { decision, otp });
}

beforeAll(async () => {
  gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, THROTTLE_ADDRESS_FAILURES: String(WRONG_CODE_LIMIT), THROTTLE_WINDOW: '60s' });
  const issuer = new URL(gatehouse.baseUrl);
  as = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }).then((response) => oauth.processDiscoveryResponse(issuer, response));
}, 60_000);
afterAll(() => gatehouse?.close());

describe('device authorization grant (RFC 8628)', () => {
  let cli: oauth.Client;

  beforeAll(async () => {
    cli = await register({ client_name: 'Device CLI', grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], token_endpoint_auth_method: 'none', redirect_uris: [] });
  });

  it('discovery names the endpoint and the grant', () => {
    expect(as.device_authorization_endpoint).toBe(`${gatehouse.baseUrl}/auth/device`);
    expect(as.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:device_code');
  });

  it('answers the codes of RFC 8628 §3.2', async () => {
    const codes = await startDevice(cli);
    expect(codes.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(codes.device_code.length).toBeGreaterThanOrEqual(43);
    expect(codes.verification_uri).toBe(`${gatehouse.baseUrl}/device`);
    expect(codes.verification_uri_complete).toBe(`${gatehouse.baseUrl}/device?user_code=${codes.user_code}`);
    expect(codes.expires_in).toBe(600);
    expect(codes.interval).toBe(5);
  });

  it('pending, then approved through the pages: tokens with a valid id_token, once; then invalid_grant', async () => {
    const username = await newPerson();
    const codes = await startDevice(cli, 'openid profile');
    expect(await poll(cli, codes.device_code)).toMatchObject({ error: 'authorization_pending' });
    // Entered by hand: lower case, without the dash.
    const page = await approve(codes.user_code.replace('-', '').toLowerCase(), username);
    expect(page.text).toContain('return to your device');
    await waitInterval();
    const tokens = (await poll(cli, codes.device_code)) as oauth.TokenEndpointResponse;
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.scope).toBe('openid profile');
    const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer: as.issuer, audience: cli.client_id });
    expect(payload.preferred_username).toBe(username);
    await waitInterval();
    expect(await poll(cli, codes.device_code)).toMatchObject({ error: 'invalid_grant' });
  });

  it('two-factor on: the code page after the password, and the tokens say so (amr)', async () => {
    const username = await newPerson();
    const http = request(gatehouse.baseUrl);
    const token = (await http.post('/auth/token').type('form').send({ username, password: PASSWORD }).expect(200)).body.access_token;
    const secret: string = (await request(gatehouse.baseUrl).post('/auth/mfa/totp').set('Authorization', `Bearer ${token}`).send({ password: PASSWORD }).expect(201)).body.secret;
    await request(gatehouse.baseUrl).post('/auth/mfa/totp/confirm').set('Authorization', `Bearer ${token}`).send({ code: await generate({ secret }) }).expect(200);
    const codes = await startDevice(cli, 'openid');
    await approve(codes.user_code, username, 'allow', request.agent(gatehouse.baseUrl), () => generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
    const tokens = (await poll(cli, codes.device_code)) as oauth.TokenEndpointResponse;
    expect(decodeJwt(tokens.access_token).amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('the person signs out everywhere between approving and the poll: invalid_grant', async () => {
    const username = await newPerson();
    const codes = await startDevice(cli);
    await approve(codes.user_code, username);
    const token = (await request(gatehouse.baseUrl).post('/auth/token').type('form').send({ username, password: PASSWORD }).expect(200)).body.access_token;
    await request(gatehouse.baseUrl).delete('/auth/sessions?all=true').set('Authorization', `Bearer ${token}`).expect(204);
    expect(await poll(cli, codes.device_code)).toMatchObject({ error: 'invalid_grant' });
  });

  it('slow_down when polled faster than the interval, and the interval grows by 5 s', async () => {
    const codes = await startDevice(cli);
    expect(await poll(cli, codes.device_code)).toMatchObject({ error: 'authorization_pending' });
    expect(await poll(cli, codes.device_code)).toMatchObject({ error: 'slow_down', interval: 10 });
    expect(await poll(cli, codes.device_code)).toMatchObject({ error: 'slow_down', interval: 15 });
  });

  it('denied on the consent page: access_denied', async () => {
    const username = await newPerson();
    const codes = await startDevice(cli);
    const page = await approve(codes.user_code, username, 'deny');
    expect(page.text).toContain('was not allowed');
    expect(await poll(cli, codes.device_code)).toMatchObject({ error: 'access_denied' });
    // Audited, both answers (written asynchronously: looked for until there).
    await expect
      .poll(async () => {
        const audit = await request(gatehouse.baseUrl).get('/audit').query({ type: 'device.authorized', pageSize: 100 }).set('Authorization', basic(ADMIN.username, ADMIN.password));
        return (audit.body.items as { outcome: string; details: Record<string, unknown> }[]).map((event) => event.outcome);
      })
      .toEqual(expect.arrayContaining(['success', 'failure']));
  });

  it('expired: expired_token, and the page no longer takes the code', async () => {
    const codes = await startDevice(cli);
    await gatehouse.app.get(DataSource).getRepository('DeviceAuthorization').update({ clientId: cli.client_id }, { expiresAt: new Date(Date.now() - 1000) });
    expect(await poll(cli, codes.device_code)).toMatchObject({ error: 'expired_token' });
    const agent = request.agent(gatehouse.baseUrl);
    const form = formOf((await agent.get('/device')).text);
    const refused = await agent.post('/device').type('form').send({ ...form.fields, user_code: codes.user_code });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('That code is wrong or has expired');
  });

  it('the device code is bound to its client', async () => {
    const other = await register({ client_name: 'Other CLI', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], token_endpoint_auth_method: 'none', redirect_uris: [] });
    const codes = await startDevice(cli);
    expect(await poll(other, codes.device_code)).toMatchObject({ error: 'invalid_grant' });
  });

  it('concurrent polls after approval deliver the tokens once (many rounds)', async () => {
    const username = await newPerson();
    const agent = request.agent(gatehouse.baseUrl);
    for (let round = 0; round < 8; round++) {
      const codes = await startDevice(cli);
      await approve(codes.user_code, username, 'allow', agent);
      await waitInterval();
      const results = await Promise.all(Array.from({ length: 6 }, () => poll(cli, codes.device_code)));
      const issued = results.filter((result) => 'access_token' in result);
      expect(issued).toHaveLength(1);
      for (const result of results) if (!('access_token' in result)) expect(['slow_down', 'invalid_grant']).toContain(result.error);
    }
  });

  it('a client not registered for the grant: unauthorized_client; no client: invalid_client', async () => {
    const web = await register({ client_name: 'Web only', grant_types: ['authorization_code'], token_endpoint_auth_method: 'none', redirect_uris: ['https://app.example.com/cb'] });
    const response = await oauth.deviceAuthorizationRequest(as, web, oauth.None(), {}, insecure);
    await expect(oauth.processDeviceAuthorizationResponse(as, web, response)).rejects.toMatchObject({ error: 'unauthorized_client' });
    const anonymous = await request(gatehouse.baseUrl).post('/auth/device').type('form').send({ scope: 'openid' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
  });

  it('a scope the client may not ask for: invalid_scope', async () => {
    const response = await oauth.deviceAuthorizationRequest(as, cli, oauth.None(), { scope: 'admin:everything' }, insecure);
    await expect(oauth.processDeviceAuthorizationResponse(as, cli, response)).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it('the page needs its CSRF token', async () => {
    const response = await request(gatehouse.baseUrl).post('/device').type('form').send({ user_code: 'BCDF-GHJK' });
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toContain('text/html');
  });

  // Last: it blocks this address's wrong codes for the window.
  it('wrong user codes: a message on the same page, then a 429 page for the address', async () => {
    const agent = request.agent(gatehouse.baseUrl);
    const form = formOf((await agent.get('/device')).text);
    const wrong = await agent.post('/device').type('form').send({ ...form.fields, user_code: 'BBBB-BBBB' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('That code is wrong or has expired');
    let status = 400;
    for (let attempt = 0; attempt < WRONG_CODE_LIMIT + 2 && status !== 429; attempt++) {
      status = (await agent.post('/device').type('form').send({ ...form.fields, user_code: 'BBBB-BBBB' })).status;
    }
    expect(status).toBe(429);
    const blocked = await agent.post('/device').type('form').send({ ...form.fields, user_code: 'BBBB-BBBB' });
    expect(blocked.status).toBe(429);
    expect(blocked.headers['content-type']).toContain('text/html');
    expect(blocked.headers['retry-after']).toEqual(expect.any(String));
  });
});

/** Two built instances on one database (PostgreSQL with TEST_DATABASE=postgres, else one SQLite file): polls sent to both at once after an approval get the tokens once. */
describe('device codes across two instances', () => {
  let instances: TwoInstances;
  let a: RunningServer;
  let b: RunningServer;
  const form = (server: RunningServer, path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body) });

  beforeAll(async () => {
    instances = await startTwoInstances({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
    ({ a, b } = instances);
  }, 60_000);
  afterAll(() => instances?.stop());

  it('tokens once, whichever instance the polls reach', async () => {
    const registered = await fetch(`${a.baseUrl}/clients`, {
      method: 'POST',
      headers: { authorization: basic(ADMIN.username, ADMIN.password), 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Fleet CLI', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], token_endpoint_auth_method: 'none', redirect_uris: [] }),
    });
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    expect((await fetch(`${a.baseUrl}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'fleet-device-person', password: PASSWORD }) })).status).toBe(201);
    const agent = request.agent(a.baseUrl);
    for (let round = 0; round < 5; round++) {
      const codes = (await (await form(a, '/auth/device', { client_id: clientId, scope: 'openid' })).json()) as { device_code: string; user_code: string };
      let page = await agent.get('/device');
      let next = formOf(page.text);
      page = await agent.post(next.action).type('form').send({ ...next.fields, user_code: codes.user_code });
      if (page.text.includes('name="password"')) {
        next = formOf(page.text);
        page = await agent.post(next.action).type('form').send({ ...next.fields, username: 'fleet-device-person', password: PASSWORD });
      }
      next = formOf(page.text);
      expect((await agent.post(next.action).type('form').send({ ...next.fields, decision: 'allow' })).text).toContain('return to your device');
      const polls = await Promise.all(
        Array.from({ length: 6 }, (_, index) => form(index % 2 ? b : a, '/auth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: codes.device_code, client_id: clientId }).then((response) => response.json() as Promise<{ access_token?: string; error?: string }>)),
      );
      expect(polls.filter((body) => body.access_token)).toHaveLength(1);
      for (const body of polls) if (!body.access_token) expect(['slow_down', 'invalid_grant']).toContain(body.error);
    }
  });
});
