import { decodeProtectedHeader, decodeJwt } from 'jose';
import { generate } from 'otplib';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, expectNoLeak, type TestApp } from './helpers/app.js';
import { formOf, paramsOf, pkcePair, signInThroughPages } from './helpers/hosted-login.js';

/**
 * The authorization code flow through the hosted pages (OAUTH.md,
 * "Authorization code flow with PKCE", "Token endpoint"), and every security
 * case of the issue: login CSRF, clickjacking, open redirect, code injection,
 * PKCE downgrade, mix-up, code replay, session fixation, the login throttles,
 * and two redemptions of one code at once.
 */
let testApp: TestApp;
const ADMIN = { username: 'flow-admin', password: 'keeper-of-the-flows-1' };
const asAdmin = basic(ADMIN.username, ADMIN.password);
const PASSWORD = 'code-flow-password-1';
const REDIRECT = 'https://app.example.com/callback';
let issuer: string;

interface Client {
  client_id: string;
  client_secret?: string;
}
let firstParty: Client;
let thirdParty: Client;
let publicNative: Client;
let machine: Client;
/** Another client registered for the very same redirect URI: a code must still not cross to it. */
let twin: Client;

beforeAll(async () => {
  testApp = await createTestApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, THROTTLE_LOGIN_FAILURES: '5' });
  issuer = (await testApp.http().get('/.well-known/oauth-authorization-server').expect(200)).body.issuer;
  const create = async (body: object) => (await testApp.http().post('/clients').set('Authorization', asAdmin).send(body).expect(201)).body as Client;
  firstParty = await create({ client_name: 'First app', redirect_uris: [REDIRECT, 'https://app.example.com/other'], grant_types: ['authorization_code', 'refresh_token'], skip_consent: true, scope: 'openid profile gatehouse' });
  thirdParty = await create({ client_name: 'Third <b>app</b>', redirect_uris: ['https://third.example/cb'], grant_types: ['authorization_code', 'refresh_token'] });
  publicNative = await create({ client_name: 'CLI', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1/callback'], grant_types: ['authorization_code', 'refresh_token'] });
  twin = await create({ client_name: 'Twin app', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], skip_consent: true });
  machine = await create({ client_name: 'Resource server', grant_types: ['client_credentials'], scope: 'reports:read', resources: ['https://api.example.com'] });
});
afterAll(() => testApp.close());

let users = 0;
async function newUser(): Promise<string> {
  const username = `person${++users}`;
  await testApp.http().post('/auth').send({ username, password: PASSWORD }).expect(201);
  return username;
}

const server = () => testApp.app.getHttpServer();
const agent = () => request.agent(server());

function authorizePath(client: Client, extra: Record<string, string | undefined> = {}, redirectUri = REDIRECT) {
  const { verifier, challenge } = pkcePair();
  const query = new URLSearchParams({ response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 'xyz-state', scope: 'openid profile' });
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) query.delete(name);
    else query.set(name, value);
  }
  return { path: `/authorize?${query}`, verifier };
}

const secretBasic = (client: Client) => basic(encodeURIComponent(client.client_id), encodeURIComponent(client.client_secret!));

function exchange(client: Client, code: string, verifier: string, redirectUri = REDIRECT) {
  return testApp.http().post('/auth/token').set('Authorization', secretBasic(client)).type('form').send({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri });
}

async function codeFor(client: Client, username: string, extra: Record<string, string | undefined> = {}, redirectUri = REDIRECT) {
  const { path, verifier } = authorizePath(client, extra, redirectUri);
  const location = await signInThroughPages(agent(), path, username, PASSWORD);
  const { code, state, iss } = paramsOf(location);
  return { code, state, iss, verifier, location };
}

describe('the code flow of a first-party client', () => {
  it('signs in on the login page, redirects with code, state and iss, and the code buys RFC 9068 tokens bound to the client', async () => {
    const username = await newUser();
    const { code, state, iss, verifier, location } = await codeFor(firstParty, username);
    expect(location.startsWith(`${REDIRECT}?`)).toBe(true);
    expect(state).toBe('xyz-state');
    expect(iss).toBe(issuer);
    const { body } = await exchange(firstParty, code, verifier).expect(200);
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: expect.any(Number), refresh_token: expect.any(String), scope: 'openid profile', id_token: expect.any(String) });
    expect(decodeProtectedHeader(body.access_token).typ).toBe('at+jwt');
    expect(decodeJwt(body.access_token)).toMatchObject({ client_id: firstParty.client_id, scope: 'openid profile', iss: issuer, aud: 'gatehouse', amr: ['pwd'], auth_time: expect.any(Number) });
    // Without Gatehouse's own scope the token reaches only routes open to clients.
    await testApp.http().get('/').set('Authorization', `Bearer ${body.access_token}`).expect(200, { message: `Hello, ${username} with ID: ${decodeJwt(body.access_token).sub}!` });
    const me = await testApp.http().get('/auth/me').set('Authorization', `Bearer ${body.access_token}`).expect(403);
    expect(me.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });

  it('with the gatehouse scope the token acts on the account API as its person', async () => {
    const username = await newUser();
    const { code, verifier } = await codeFor(firstParty, username, { scope: 'openid gatehouse' });
    const { body } = await exchange(firstParty, code, verifier).expect(200);
    await testApp.http().get('/auth/me').set('Authorization', `Bearer ${body.access_token}`).expect(200);
  });

  it('single sign-on: a second authorization in the same browser skips the login; prompt=login asks again; prompt=none without a session is login_required', async () => {
    const username = await newUser();
    const browser = agent();
    const first = authorizePath(firstParty);
    await signInThroughPages(browser, first.path, username, PASSWORD);
    const again = await browser.get(authorizePath(firstParty).path).expect(303);
    expect(paramsOf(again.headers.location).code).toEqual(expect.any(String));
    const relogin = await browser.get(authorizePath(firstParty, { prompt: 'login' }).path).expect(200);
    expect(relogin.text).toContain('name="password"');
    const none = await agent().get(authorizePath(firstParty, { prompt: 'none' }).path).expect(303);
    expect(paramsOf(none.headers.location)).toMatchObject({ error: 'login_required', state: 'xyz-state', iss: issuer });
    // The browser session is a Gatehouse session, listed with the application it signed in for.
    const sessions = await testApp.http().get('/auth/sessions').set('Authorization', basic(username, PASSWORD)).expect(200);
    expect(sessions.body).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'browser', clientId: firstParty.client_id, clientName: 'First app' })]));
  });

  it('ending the browser session signs the browser out and ends every token any client got through it', async () => {
    const username = await newUser();
    const browser = agent();
    const first = authorizePath(firstParty);
    const location = await signInThroughPages(browser, first.path, username, PASSWORD);
    const tokens = (await exchange(firstParty, paramsOf(location).code, first.verifier).expect(200)).body;
    const sessions = await testApp.http().get('/auth/sessions').set('Authorization', basic(username, PASSWORD)).expect(200);
    const browserSession = (sessions.body as { id: string; kind: string }[]).find((session) => session.kind === 'browser')!;
    await testApp.http().delete(`/auth/sessions/${browserSession.id}`).set('Authorization', basic(username, PASSWORD)).expect(204);
    await testApp.http().get('/').set('Authorization', `Bearer ${tokens.access_token}`).expect(401);
    expect((await testApp.http().post('/auth/token').set('Authorization', secretBasic(firstParty)).type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).body.error).toBe('invalid_grant');
    expect((await browser.get(authorizePath(firstParty).path).expect(200)).text).toContain('name="password"');
  });

  it('refreshes with rotation, bound to the client, and may only narrow the scope', async () => {
    const username = await newUser();
    const { code, verifier } = await codeFor(firstParty, username);
    const { body } = await exchange(firstParty, code, verifier).expect(200);
    const wider = await testApp.http().post('/auth/token').set('Authorization', secretBasic(firstParty)).type('form').send({ grant_type: 'refresh_token', refresh_token: body.refresh_token, scope: 'openid profile gatehouse' });
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');
    // Another client cannot use it, nor can a request without a client; the token stays unspent.
    const other = await testApp.http().post('/auth/token').set('Authorization', secretBasic(thirdParty)).type('form').send({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
    expect(other.body.error).toBe('invalid_grant');
    await testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: body.refresh_token }).expect(401);
    const narrowed = await testApp.http().post('/auth/token').set('Authorization', secretBasic(firstParty)).type('form').send({ grant_type: 'refresh_token', refresh_token: body.refresh_token, scope: 'openid' }).expect(200);
    expect(narrowed.body.scope).toBe('openid');
    expect(narrowed.body.refresh_token).not.toBe(body.refresh_token);
  });

  it('a public native client: loopback redirect on any port (RFC 8252 §7.3), client_id only, PKCE', async () => {
    const username = await newUser();
    const redirect = 'http://127.0.0.1:53682/callback';
    const { code, verifier } = await codeFor(publicNative, username, {}, redirect);
    const { body } = await testApp.http().post('/auth/token').type('form').send({ grant_type: 'authorization_code', client_id: publicNative.client_id, code, code_verifier: verifier, redirect_uri: redirect }).expect(200);
    expect(decodeJwt(body.access_token).client_id).toBe(publicNative.client_id);
  });
});

describe('consent for a client that is not first-party', () => {
  it('asks once, names the client (escaped) and the scopes, remembers the answer, lists and withdraws it', async () => {
    const username = await newUser();
    const browser = agent();
    const { path, verifier } = authorizePath(thirdParty, {}, 'https://third.example/cb');
    const login = await browser.get(path).expect(200);
    expect(login.text).toContain('Third &lt;b&gt;app&lt;/b&gt;');
    const form = formOf(login.text);
    const consentPage = await browser.post(form.action).type('form').send({ ...form.fields, username, password: PASSWORD }).expect(200);
    expect(consentPage.text).toContain('name="decision"');
    expect(consentPage.text).toContain('See your username');
    expect(consentPage.text).toContain(`Signed in as <strong>${username}</strong>`);
    const consent = formOf(consentPage.text);
    const allowed = await browser.post(consent.action).type('form').send({ ...consent.fields, decision: 'allow' }).expect(303);
    const { code } = paramsOf(allowed.headers.location);
    const tokens = await exchange(thirdParty, code, verifier, 'https://third.example/cb').expect(200);
    // Remembered: the next authorization goes straight back.
    await browser.get(authorizePath(thirdParty, {}, 'https://third.example/cb').path).expect(303);

    const grants = await testApp.http().get('/auth/grants').set('Authorization', basic(username, PASSWORD)).expect(200);
    expect(grants.body).toEqual([expect.objectContaining({ client_id: thirdParty.client_id, client_name: 'Third <b>app</b>', scope: 'openid profile' })]);
    await testApp.http().delete(`/auth/grants/${thirdParty.client_id}`).set('Authorization', basic(username, PASSWORD)).expect(204);
    // Withdrawing ends the client's tokens for the user, and the next authorization asks again.
    await testApp.http().get('/').set('Authorization', `Bearer ${tokens.body.access_token}`).expect(401);
    const refreshed = await testApp.http().post('/auth/token').set('Authorization', secretBasic(thirdParty)).type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
    expect(refreshed.body.error).toBe('invalid_grant');
    expect((await browser.get(authorizePath(thirdParty, {}, 'https://third.example/cb').path).expect(200)).text).toContain('name="decision"');
  });

  it('withdrawing a consent, or deleting a client, ends only that client\'s tokens: the browser that signed in through it stays signed in, and other clients\' tokens live on', async () => {
    const username = await newUser();
    const browser = agent();
    const third = authorizePath(thirdParty, {}, 'https://third.example/cb');
    // The login happens at the third-party client: the browser session starts there.
    const thirdTokens = await exchange(thirdParty, paramsOf(await signInThroughPages(browser, third.path, username, PASSWORD)).code, third.verifier, 'https://third.example/cb').expect(200);
    const first = authorizePath(firstParty);
    const firstTokens = await exchange(firstParty, paramsOf((await browser.get(first.path).expect(303)).headers.location).code, first.verifier).expect(200);

    await testApp.http().delete(`/auth/grants/${thirdParty.client_id}`).set('Authorization', basic(username, PASSWORD)).expect(204);
    await testApp.http().get('/').set('Authorization', `Bearer ${thirdTokens.body.access_token}`).expect(401);
    await testApp.http().get('/').set('Authorization', `Bearer ${firstTokens.body.access_token}`).expect(200);
    await browser.get(authorizePath(firstParty).path).expect(303);

    // The same when an admin deletes the client the browser signed in through.
    const doomed = (await testApp.http().post('/clients').set('Authorization', asAdmin).send({ client_name: 'Doomed', redirect_uris: ['https://doomed.example/cb'], grant_types: ['authorization_code'], skip_consent: true }).expect(201)).body as Client;
    const other = agent();
    const viaDoomed = authorizePath(doomed, {}, 'https://doomed.example/cb');
    await signInThroughPages(other, viaDoomed.path, username, PASSWORD);
    const later = authorizePath(firstParty);
    const laterTokens = await exchange(firstParty, paramsOf((await other.get(later.path).expect(303)).headers.location).code, later.verifier).expect(200);
    await testApp.http().delete(`/clients/${doomed.client_id}`).set('Authorization', asAdmin).expect(204);
    await testApp.http().get('/').set('Authorization', `Bearer ${laterTokens.body.access_token}`).expect(200);
    await other.get(authorizePath(firstParty).path).expect(303);
  });

  it('deny sends access_denied to the client; prompt=none without consent is consent_required', async () => {
    const username = await newUser();
    const denied = await signInThroughPages(agent(), authorizePath(thirdParty, {}, 'https://third.example/cb').path, username, PASSWORD, { decision: 'deny' });
    expect(paramsOf(denied)).toMatchObject({ error: 'access_denied', state: 'xyz-state', iss: issuer });
    const browser = agent();
    await signInThroughPages(browser, authorizePath(firstParty).path, username, PASSWORD);
    const none = await browser.get(authorizePath(thirdParty, { prompt: 'none' }, 'https://third.example/cb').path).expect(303);
    expect(paramsOf(none.headers.location).error).toBe('consent_required');
  });
});

describe('the hosted pages resist attack', () => {
  it('login CSRF: a form without its token is refused and signs no one in', async () => {
    const username = await newUser();
    const browser = agent();
    const page = await browser.get(authorizePath(firstParty).path).expect(200);
    const { action, fields } = formOf(page.text);
    const { _csrf: _token, ...withoutToken } = fields;
    const refused = await browser.post(action).type('form').send({ ...withoutToken, username, password: PASSWORD }).expect(403);
    expect(refused.headers['content-type']).toContain('text/html');
    expect(String(refused.headers['set-cookie'] ?? '')).not.toContain('gatehouse-session=');
    await browser.post(action).type('form').send({ ...fields, _csrf: 'forged', username, password: PASSWORD }).expect(403);
    // Still nobody signed in: the next authorization shows the login page.
    expect((await browser.get(authorizePath(firstParty).path).expect(200)).text).toContain('name="password"');
  });

  it('clickjacking and caching: every page forbids framing and storing', async () => {
    const page = await agent().get(authorizePath(firstParty).path).expect(200);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).toContain('form-action');
    expect(page.headers['content-security-policy']).toContain('https://app.example.com');
    expect(page.headers['cache-control']).toContain('no-store');
  });

  it.each([
    ['a prefix', 'https://app.example.com/callback/evil'],
    ['a trailing slash', 'https://app.example.com/callback/'],
    ['another case', 'https://APP.example.com/callback'],
    ['an extra query', 'https://app.example.com/callback?next=https://evil.example'],
    ['user information', 'https://app.example.com@evil.example/callback'],
    ['another host', 'https://evil.example/callback'],
    ['a fragment', 'https://app.example.com/callback#x'],
  ])('open redirect: %s of the registered URI is a 400 page, never a redirect', async (_case, redirectUri) => {
    const answer = await agent().get(authorizePath(firstParty, {}, redirectUri).path).expect(400);
    expect(answer.headers.location).toBeUndefined();
    expect(answer.headers['content-type']).toContain('text/html');
    expect(answer.text).not.toContain('evil.example/callback"');
  });

  it('an unknown client, or several redirect URIs and none named, is a 400 page', async () => {
    await agent().get(authorizePath({ client_id: 'no-such-client' }).path).expect(400);
    await agent().get(authorizePath(firstParty, { redirect_uri: undefined }).path).expect(400);
  });

  it('PKCE downgrade: no challenge, or plain, goes back as invalid_request with state and iss', async () => {
    for (const extra of [{ code_challenge: undefined, code_challenge_method: undefined }, { code_challenge_method: 'plain' }, { code_challenge_method: undefined }]) {
      const answer = await agent().get(authorizePath(firstParty, extra).path).expect(303);
      expect(paramsOf(answer.headers.location)).toMatchObject({ error: 'invalid_request', state: 'xyz-state', iss: issuer });
    }
    const unsupported = await agent().get(authorizePath(firstParty, { response_type: 'token' }).path).expect(303);
    expect(paramsOf(unsupported.headers.location).error).toBe('unsupported_response_type');
    const scope = await agent().get(authorizePath(firstParty, { scope: 'openid admin:everything' }).path).expect(303);
    expect(paramsOf(scope.headers.location).error).toBe('invalid_scope');
  });

  it('ignores unknown parameters (RFC 6749 §3.1)', async () => {
    const page = await agent().get(`${authorizePath(firstParty).path}&utm_source=mail&foo=bar`).expect(200);
    expect(page.text).toContain('name="password"');
  });

  it('code injection: a code at another client, another redirect URI or with a wrong verifier buys nothing, and stays good for its own client', async () => {
    const username = await newUser();
    const { code, verifier } = await codeFor(firstParty, username);
    expect((await exchange(thirdParty, code, verifier, 'https://third.example/cb')).body.error).toBe('invalid_grant');
    expect((await exchange(twin, code, verifier)).body.error).toBe('invalid_grant');
    expect((await exchange(firstParty, code, verifier, 'https://app.example.com/other')).body.error).toBe('invalid_grant');
    expect((await exchange(firstParty, code, pkcePair().verifier)).body.error).toBe('invalid_grant');
    await exchange(firstParty, code, verifier).expect(200);
  });

  it('code replay: the second redemption fails and ends what the first one got', async () => {
    const username = await newUser();
    const { code, verifier } = await codeFor(firstParty, username);
    const first = await exchange(firstParty, code, verifier).expect(200);
    await testApp.http().get('/').set('Authorization', `Bearer ${first.body.access_token}`).expect(200);
    const replay = await exchange(firstParty, code, verifier).expect(400);
    expect(replay.body.error).toBe('invalid_grant');
    expectNoLeak(replay.body);
    await testApp.http().get('/').set('Authorization', `Bearer ${first.body.access_token}`).expect(401);
    expect((await testApp.http().post('/auth/token').set('Authorization', secretBasic(firstParty)).type('form').send({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token })).body.error).toBe('invalid_grant');
  });

  it('concurrency: two redemptions of one code at the same instant give working tokens to at most one, over many rounds', async () => {
    const username = await newUser();
    for (let round = 0; round < 15; round++) {
      const { code, verifier } = await codeFor(firstParty, username);
      const answers = await Promise.all([exchange(firstParty, code, verifier), exchange(firstParty, code, verifier)]);
      expect(answers.filter((answer) => answer.status === 200).length).toBeLessThanOrEqual(1);
      expect(answers.every((answer) => answer.status === 200 || answer.body.error === 'invalid_grant')).toBe(true);
      // The loser ended the winner's session: no token of this code works.
      for (const answer of answers.filter((candidate) => candidate.status === 200)) {
        await testApp.http().get('/').set('Authorization', `Bearer ${answer.body.access_token}`).expect(401);
      }
    }
  });

  it('session fixation: the session cookie after the login is a new one', async () => {
    const username = await newUser();
    const browser = agent();
    browser.jar.setCookie('gatehouse-session=planted-by-an-attacker; Path=/', '127.0.0.1', '/');
    const page = await browser.get(authorizePath(firstParty).path).expect(200);
    const { action, fields } = formOf(page.text);
    const signedIn = await browser.post(action).type('form').send({ ...fields, username, password: PASSWORD }).expect(303);
    const cookie = (signedIn.headers['set-cookie'] as unknown as string[]).find((line) => line.startsWith('gatehouse-session='))!;
    expect(cookie).toBeDefined();
    expect(cookie).not.toContain('planted-by-an-attacker');
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('the login page goes through the login throttle: wrong passwords end in a 429 page', async () => {
    const username = await newUser();
    const browser = agent();
    let answer = await browser.get(authorizePath(firstParty).path).expect(200);
    for (let attempt = 0; attempt < 5; attempt++) {
      const { action, fields } = formOf(answer.text);
      answer = await browser.post(action).type('form').send({ ...fields, username, password: 'wrong-password-123' });
      expect(answer.status).toBe(400);
      expect(answer.text).toContain('Invalid username or password.');
    }
    const { action, fields } = formOf(answer.text);
    const blocked = await browser.post(action).type('form').send({ ...fields, username, password: PASSWORD }).expect(429);
    expect(blocked.headers['retry-after']).toEqual(expect.any(String));
    expect(blocked.headers['content-type']).toContain('text/html');
  });

  it('two-factor: the code page comes after the password, and the tokens say so (amr)', async () => {
    const username = await newUser();
    const token = (await testApp.http().post('/auth/token').type('form').send({ username, password: PASSWORD }).expect(200)).body.access_token;
    const enrolment = await testApp.http().post('/auth/mfa/totp').set('Authorization', `Bearer ${token}`).send({ password: PASSWORD }).expect(201);
    const secret: string = enrolment.body.secret;
    await testApp.http().post('/auth/mfa/totp/confirm').set('Authorization', `Bearer ${token}`).send({ code: await generate({ secret }) }).expect(200);
    const { path, verifier } = authorizePath(firstParty);
    const location = await signInThroughPages(agent(), path, username, PASSWORD, { otp: () => generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }) });
    const { body } = await exchange(firstParty, paramsOf(location).code, verifier).expect(200);
    expect(decodeJwt(body.access_token).amr).toEqual(['pwd', 'otp', 'mfa']);
  });
});

describe('client credentials', () => {
  it('gives a confidential client its own RFC 9068 token: sub is the client, no person, no refresh token', async () => {
    const { body } = await testApp.http().post('/auth/token').set('Authorization', secretBasic(machine)).type('form').send({ grant_type: 'client_credentials' }).expect(200);
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: expect.any(Number), scope: 'reports:read' });
    expect(decodeJwt(body.access_token)).toMatchObject({ sub: machine.client_id, client_id: machine.client_id, scope: 'reports:read', aud: 'gatehouse' });
    await testApp.http().get('/').set('Authorization', `Bearer ${body.access_token}`).expect(200, { message: `Hello, client ${machine.client_id}!` });
    const me = await testApp.http().get('/auth/me').set('Authorization', `Bearer ${body.access_token}`).expect(403);
    expect(me.headers['www-authenticate']).toContain('insufficient_scope');
  });

  it('client_secret_post, a resource as audience (RFC 8707), and the errors of RFC 6749 §5.2', async () => {
    const post = await testApp.http().post('/auth/token').type('form').send({ grant_type: 'client_credentials', client_id: machine.client_id, client_secret: machine.client_secret, resource: 'https://api.example.com' });
    // Registered for client_secret_basic: another method is no authentication (RFC 6749 §2.3).
    expect(post.status).toBe(401);
    expect(post.body.error).toBe('invalid_client');
  });

  it('audience from resource; wrong secret 401 invalid_client with a Basic challenge; unregistered grant unauthorized_client; no client invalid_client', async () => {
    const audience = await testApp.http().post('/auth/token').set('Authorization', secretBasic(machine)).type('form').send({ grant_type: 'client_credentials', resource: 'https://api.example.com' }).expect(200);
    expect(decodeJwt(audience.body.access_token).aud).toBe('https://api.example.com');
    // Not Gatehouse's audience: its own API refuses it.
    await testApp.http().get('/').set('Authorization', `Bearer ${audience.body.access_token}`).expect(401);
    const target = await testApp.http().post('/auth/token').set('Authorization', secretBasic(machine)).type('form').send({ grant_type: 'client_credentials', resource: 'https://other.example.com' }).expect(400);
    expect(target.body.error).toBe('invalid_target');
    const wrong = await testApp.http().post('/auth/token').set('Authorization', basic(machine.client_id, 'not-the-secret')).type('form').send({ grant_type: 'client_credentials' }).expect(401);
    expect(wrong.body.error).toBe('invalid_client');
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
    const unregistered = await testApp.http().post('/auth/token').set('Authorization', secretBasic(firstParty)).type('form').send({ grant_type: 'client_credentials' }).expect(400);
    expect(unregistered.body.error).toBe('unauthorized_client');
    const anonymous = await testApp.http().post('/auth/token').type('form').send({ grant_type: 'client_credentials' }).expect(401);
    expect(anonymous.body.error).toBe('invalid_client');
  });

  it('a resource server introspects with its client credentials; revocation by a client reaches only its own tokens', async () => {
    const username = await newUser();
    const { code, verifier } = await codeFor(firstParty, username);
    const { body } = await exchange(firstParty, code, verifier).expect(200);
    const introspected = await testApp.http().post('/auth/introspect').set('Authorization', secretBasic(machine)).type('form').send({ token: body.access_token }).expect(200);
    expect(introspected.body).toMatchObject({ active: true, client_id: firstParty.client_id, scope: 'openid profile', username });
    // Another client's revocation does nothing to it; its own does.
    await testApp.http().post('/auth/revoke').set('Authorization', secretBasic(machine)).type('form').send({ token: body.refresh_token }).expect(200);
    await testApp.http().get('/').set('Authorization', `Bearer ${body.access_token}`).expect(200);
    await testApp.http().post('/auth/revoke').set('Authorization', secretBasic(firstParty)).type('form').send({ token: body.refresh_token }).expect(200);
    await testApp.http().get('/').set('Authorization', `Bearer ${body.access_token}`).expect(401);
    expect((await testApp.http().post('/auth/introspect').set('Authorization', secretBasic(machine)).type('form').send({ token: body.access_token }).expect(200)).body).toEqual({ active: false });
  });

  it('introspection needs a client that proves itself, or a token acting on the API: a public client, or a third-party token of an admin, is refused', async () => {
    const username = await newUser();
    const { code, verifier } = await codeFor(firstParty, username);
    const { body } = await exchange(firstParty, code, verifier).expect(200);
    const publicClient = await testApp.http().post('/auth/introspect').type('form').send({ token: body.access_token, client_id: publicNative.client_id }).expect(401);
    expect(publicClient.body.error).toBe('invalid_client');
    const adminCode = await (async () => {
      const { path, verifier: adminVerifier } = authorizePath(firstParty, { scope: 'openid' });
      const location = await signInThroughPages(agent(), path, ADMIN.username, ADMIN.password);
      return { code: paramsOf(location).code, verifier: adminVerifier };
    })();
    const adminToken = (await exchange(firstParty, adminCode.code, adminCode.verifier).expect(200)).body.access_token;
    const scoped = await testApp.http().post('/auth/introspect').set('Authorization', `Bearer ${adminToken}`).type('form').send({ token: body.access_token }).expect(403);
    expect(scoped.headers['www-authenticate']).toContain('insufficient_scope');
    // A client_credentials token of a confidential client may introspect (RFC 7662 §2.1).
    const machineToken = (await testApp.http().post('/auth/token').set('Authorization', secretBasic(machine)).type('form').send({ grant_type: 'client_credentials' }).expect(200)).body.access_token;
    expect((await testApp.http().post('/auth/introspect').set('Authorization', `Bearer ${machineToken}`).type('form').send({ token: body.access_token }).expect(200)).body.active).toBe(true);
  });

  it('a machine client registered without a scope gets no OpenID Connect scopes: they need a person', async () => {
    const bare = (await testApp.http().post('/clients').set('Authorization', asAdmin).send({ client_name: 'Bare job', grant_types: ['client_credentials'] }).expect(201)).body as Client;
    const { body } = await testApp.http().post('/auth/token').set('Authorization', secretBasic(bare)).type('form').send({ grant_type: 'client_credentials' }).expect(200);
    expect(body.scope).toBe('');
    const asked = await testApp.http().post('/auth/token').set('Authorization', secretBasic(bare)).type('form').send({ grant_type: 'client_credentials', scope: 'openid' }).expect(400);
    expect(asked.body.error).toBe('invalid_scope');
  });

  it('deleting a client ends every token issued to it', async () => {
    const doomed = (await testApp.http().post('/clients').set('Authorization', asAdmin).send({ client_name: 'Doomed', grant_types: ['client_credentials', 'authorization_code', 'refresh_token'], redirect_uris: [REDIRECT], skip_consent: true }).expect(201)).body as Client;
    const machineToken = (await testApp.http().post('/auth/token').set('Authorization', secretBasic(doomed)).type('form').send({ grant_type: 'client_credentials' }).expect(200)).body.access_token;
    const username = await newUser();
    const { code, verifier } = await codeFor(doomed, username);
    const personTokens = (await exchange(doomed, code, verifier).expect(200)).body;
    await testApp.http().delete(`/clients/${doomed.client_id}`).set('Authorization', asAdmin).expect(204);
    await testApp.http().get('/').set('Authorization', `Bearer ${machineToken}`).expect(401);
    await testApp.http().get('/').set('Authorization', `Bearer ${personTokens.access_token}`).expect(401);
    expect((await testApp.http().post('/auth/introspect').set('Authorization', secretBasic(machine)).type('form').send({ token: machineToken }).expect(200)).body).toEqual({ active: false });
  });
});

describe('discovery', () => {
  it('advertises the code flow, S256, iss and the registered grants, and nothing that does not exist', async () => {
    const { body } = await testApp.http().get('/.well-known/openid-configuration').expect(200);
    expect(body).toMatchObject({
      authorization_endpoint: `${issuer}/authorize`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      pushed_authorization_request_endpoint: `${issuer}/auth/par`,
      require_pushed_authorization_requests: false,
    });
    expect(body.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials', 'password']));
    expect(body).toMatchObject({ userinfo_endpoint: `${issuer}/auth/userinfo`, subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] });
  });
});
