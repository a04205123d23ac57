import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import * as client from 'openid-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';
import { basic, createTestApp, type TestApp } from './helpers/app.js';
import { formOf, paramsOf, pkcePair, signInThroughPages } from './helpers/hosted-login.js';

/**
 * OpenID Connect RP-Initiated Logout 1.0 at the end_session_endpoint
 * (OAUTH.md, "OpenID Connect"; the hosted "logout" page): a hint that proves
 * the browser's session ends it at once; anything else asks first; a
 * post_logout_redirect_uri must be registered exactly. Besides the id_token
 * of a real code exchange, hints are made here as Gatehouse makes them (its
 * signing key, iss, sub, aud = client_id, sid = the browser session), so
 * each claim can be varied.
 */
let testApp: TestApp;
const ADMIN = { username: 'logout-admin', password: 'keeper-of-the-logout-1' };
const PASSWORD = 'logout-password-1';
const REDIRECT = 'https://app.example.com/callback';
const AFTER_LOGOUT = 'https://app.example.com/signed-out';
let issuer: string;
let metadata: Record<string, unknown>;

interface Client {
  client_id: string;
  client_secret: string;
}
let app: Client;
let other: Client;

beforeAll(async () => {
  testApp = await createTestApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
  metadata = (await testApp.http().get('/.well-known/openid-configuration').expect(200)).body;
  issuer = metadata.issuer as string;
  const create = async (body: object) => (await testApp.http().post('/clients').set('Authorization', basic(ADMIN.username, ADMIN.password)).send(body).expect(201)).body as Client;
  app = await create({ client_name: 'Notes <app>', redirect_uris: [REDIRECT], post_logout_redirect_uris: [AFTER_LOGOUT, 'https://app.example.com/bye?from=gatehouse'], grant_types: ['authorization_code'], skip_consent: true });
  other = await create({ client_name: 'Other app', redirect_uris: ['https://other.example/cb'], post_logout_redirect_uris: ['https://other.example/bye'], grant_types: ['authorization_code'], skip_consent: true });
});
afterAll(() => testApp.close());

let users = 0;

/** A person signed in through the hosted pages in a browser of their own, with the tokens the application got, and the browser session's id. */
async function signedIn() {
  const username = `leaver${++users}`;
  await testApp.http().post('/auth').send({ username, password: PASSWORD }).expect(201);
  const browser = request.agent(testApp.app.getHttpServer());
  const { verifier, challenge } = pkcePair();
  const query = new URLSearchParams({ response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's', scope: 'openid profile' });
  const location = await signInThroughPages(browser, `/authorize?${query}`, username, PASSWORD);
  const tokens = (
    await testApp
      .http()
      .post('/auth/token')
      .set('Authorization', basic(app.client_id, app.client_secret))
      .type('form')
      .send({ grant_type: 'authorization_code', code: paramsOf(location).code, code_verifier: verifier, redirect_uri: REDIRECT })
      .expect(200)
  ).body as { access_token: string; id_token: string };
  const sessions = (await testApp.http().get('/auth/sessions').set('Authorization', basic(username, PASSWORD)).expect(200)).body as { id: string; kind: string }[];
  const sessionId = sessions.find((session) => session.kind === 'browser')!.id;
  return { username, browser, tokens, sessionId, sub: decodeJwt(tokens.access_token).sub! };
}

type Person = Awaited<ReturnType<typeof signedIn>>;

/** An ID token as Gatehouse signs one: its signing key (kid in the header), iss, sub, aud = client_id, sid. */
async function idToken(claims: { sub: string; sid?: string; aud?: string | string[]; azp?: string }, { expiresIn = '5m', iat }: { expiresIn?: string | number; iat?: number } = {}) {
  const key = await testApp.app.get(SigningKeysService).asymmetricSigningKey();
  return new SignJWT({ ...claims, aud: claims.aud ?? app.client_id })
    .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setIssuedAt(iat)
    .setExpirationTime(expiresIn)
    .sign(key.privateKey);
}
const hintFor = (person: Person) => idToken({ sub: person.sub, sid: person.sessionId });
const logoutPath = (parameters: Record<string, string>) => `/logout?${new URLSearchParams(parameters)}`;

/** Whether the person's session and the application's tokens still live. */
async function isAlive(person: Person): Promise<boolean> {
  const call = await testApp.http().get('/').set('Authorization', `Bearer ${person.tokens.access_token}`);
  const sessions = (await testApp.http().get('/auth/sessions').set('Authorization', basic(person.username, PASSWORD)).expect(200)).body as { id: string }[];
  const listed = sessions.some((session) => session.id === person.sessionId);
  expect(call.status === 200, 'the token agrees with the session list').toBe(listed);
  return listed;
}

/** The browser's next authorization asks for the password again: its cookie no longer names a live session. */
async function asksToSignIn(person: Person): Promise<boolean> {
  const { challenge } = pkcePair();
  const query = new URLSearchParams({ response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' });
  const response = await person.browser.get(`/authorize?${query}`);
  return response.status === 200 && response.text.includes('name="password"');
}

const expectPage = (response: request.Response, status: number, text: string) => {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toContain('text/html');
  expect(response.text).toContain(text);
};

describe('discovery', () => {
  it('advertises the end_session_endpoint', () => {
    expect(metadata.end_session_endpoint).toBe(`${issuer}/logout`);
  });
});

describe('a hint that proves the session', () => {
  it('ends it at once, without a page: its tokens are refused, it is no longer listed, the cookie goes, and the browser is sent to the registered URI with state', async () => {
    const person = await signedIn();
    expect(await isAlive(person)).toBe(true);
    const response = await person.browser.get(logoutPath({ id_token_hint: await hintFor(person), post_logout_redirect_uri: AFTER_LOGOUT, state: 'st&te 1' })).expect(303);
    expect(response.headers.location).toBe(`${AFTER_LOGOUT}?state=st%26te+1`);
    expect(String(response.headers['set-cookie'])).toMatch(/gatehouse-session=;.*Expires=Thu, 01 Jan 1970/);
    expect(await isAlive(person)).toBe(false);
    expect(await asksToSignIn(person)).toBe(true);
    // The trail says who and why.
    const audit = await testApp.http().get('/audit?type=session.ended').set('Authorization', basic(ADMIN.username, ADMIN.password)).expect(200);
    const items = (audit.body.items ?? audit.body) as { details: Record<string, unknown> }[];
    expect(items.find((event) => event.details.sessionId === person.sessionId)?.details).toMatchObject({ reason: 'rp-logout', clientId: app.client_id });
  });

  it('the id_token of the code exchange itself is such a hint (aud and azp the client, sid the browser session)', async () => {
    const person = await signedIn();
    expect(decodeJwt(person.tokens.id_token)).toMatchObject({ aud: app.client_id, sid: person.sessionId, sub: person.sub });
    const response = await person.browser.get(logoutPath({ id_token_hint: person.tokens.id_token, post_logout_redirect_uri: AFTER_LOGOUT, state: 'real' })).expect(303);
    expect(response.headers.location).toBe(`${AFTER_LOGOUT}?state=real`);
    expect(await isAlive(person)).toBe(false);
  });

  it('keeps a query the registered URI has, and adds no state when none was sent', async () => {
    const person = await signedIn();
    const response = await person.browser.get(logoutPath({ id_token_hint: await hintFor(person), post_logout_redirect_uri: 'https://app.example.com/bye?from=gatehouse' })).expect(303);
    expect(response.headers.location).toBe('https://app.example.com/bye?from=gatehouse');
  });

  it('accepts an expired hint (§2: the OP need not be concerned with whether it has expired)', async () => {
    const person = await signedIn();
    const now = Math.floor(Date.now() / 1000);
    const expired = await idToken({ sub: person.sub, sid: person.sessionId }, { iat: now - 7200, expiresIn: now - 3600 });
    await person.browser.get(logoutPath({ id_token_hint: expired, post_logout_redirect_uri: AFTER_LOGOUT, state: 'x' })).expect(303);
    expect(await isAlive(person)).toBe(false);
  });

  it('accepts the request as a form POST too (§2: GET and POST)', async () => {
    const person = await signedIn();
    const response = await person.browser.post('/logout').type('form').send({ id_token_hint: await hintFor(person), client_id: app.client_id, post_logout_redirect_uri: AFTER_LOGOUT, state: 'p' }).expect(303);
    expect(response.headers.location).toBe(`${AFTER_LOGOUT}?state=p`);
    expect(await isAlive(person)).toBe(false);
  });

  it("without a post_logout_redirect_uri, shows the signed-out page, naming the application", async () => {
    const person = await signedIn();
    const response = await person.browser.get(logoutPath({ id_token_hint: await hintFor(person) }));
    expectPage(response, 200, 'You are signed out');
    expect(response.text).toContain('Notes &lt;app&gt;');
    expect(await isAlive(person)).toBe(false);
  });

  it('a URL built by openid-client (buildEndSessionUrl, from discovery) is one Gatehouse accepts', async () => {
    const person = await signedIn();
    const config = new client.Configuration(metadata as client.ServerMetadata, app.client_id, app.client_secret);
    client.allowInsecureRequests(config);
    const url = client.buildEndSessionUrl(config, { id_token_hint: await hintFor(person), post_logout_redirect_uri: AFTER_LOGOUT, state: 'from-openid-client' });
    expect(`${url.origin}${url.pathname}`).toBe(`${issuer}/logout`);
    const response = await person.browser.get(`${url.pathname}${url.search}`).expect(303);
    expect(response.headers.location).toBe(`${AFTER_LOGOUT}?state=from-openid-client`);
    expect(await isAlive(person)).toBe(false);
  });
});

describe('a request that does not prove the session asks first', () => {
  it('no hint: a confirmation page naming the application, whose form (CSRF token, redirect origin allowed) ends the session', async () => {
    const person = await signedIn();
    const page = await person.browser.get(logoutPath({ client_id: app.client_id, post_logout_redirect_uri: AFTER_LOGOUT, state: 'c' }));
    expectPage(page, 200, 'Sign out of Gatehouse?');
    expect(page.text).toContain('Notes &lt;app&gt;');
    expect(page.text).toContain(person.username);
    expect(page.headers['content-security-policy']).toContain("form-action 'self' https://app.example.com");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['cache-control']).toBe('no-store');
    // Nothing ends until the person says so.
    expect(await isAlive(person)).toBe(true);
    const { action, fields } = formOf(page.text);
    expect(action).toBe('/logout/confirm');
    expect(fields._csrf).toEqual(expect.any(String));
    const confirmed = await person.browser.post(action).type('form').send(fields).expect(303);
    expect(confirmed.headers.location).toBe(`${AFTER_LOGOUT}?state=c`);
    expect(await isAlive(person)).toBe(false);
    expect(await asksToSignIn(person)).toBe(true);
  });

  it('a hint of another session (another browser of the same person) asks, and the confirmation ends this one, not that one', async () => {
    const person = await signedIn();
    const elsewhere = await signedIn();
    const page = await person.browser.get(logoutPath({ id_token_hint: await hintFor(elsewhere), post_logout_redirect_uri: AFTER_LOGOUT }));
    expectPage(page, 200, 'Sign out of Gatehouse?');
    const { action, fields } = formOf(page.text);
    await person.browser.post(action).type('form').send(fields).expect(303);
    expect(await isAlive(person)).toBe(false);
    expect(await isAlive(elsewhere)).toBe(true);
  });

  it('a hint with the right sid but another sub asks', async () => {
    const person = await signedIn();
    const page = await person.browser.get(logoutPath({ id_token_hint: await idToken({ sub: '999999', sid: person.sessionId }) }));
    expectPage(page, 200, 'Sign out of Gatehouse?');
    expect(await isAlive(person)).toBe(true);
  });

  it('the confirmation without its CSRF token is a 403 page, and the session lives', async () => {
    const person = await signedIn();
    const page = await person.browser.get(logoutPath({ client_id: app.client_id }));
    const { action, fields } = formOf(page.text);
    const { _csrf, ...withoutToken } = fields;
    expect(_csrf).toBeTruthy();
    expectPage(await person.browser.post(action).type('form').send(withoutToken), 403, 'did not come from this site');
    // Another browser (no CSRF cookie) with the token copied is refused too.
    expectPage(await request(testApp.app.getHttpServer()).post(action).type('form').send(fields), 403, 'did not come from this site');
    expect(await isAlive(person)).toBe(true);
  });

  it('a cross-site form POST without the cookie asks rather than claiming there was nothing to end', async () => {
    const person = await signedIn();
    const stranger = request.agent(testApp.app.getHttpServer());
    const page = await stranger.post('/logout').type('form').send({ id_token_hint: await hintFor(person), post_logout_redirect_uri: AFTER_LOGOUT });
    expectPage(page, 200, 'Sign out of Gatehouse?');
    expect(await isAlive(person)).toBe(true);
  });
});

describe('no session', () => {
  it('goes straight to the registered URI, or the signed-out page', async () => {
    const person = await signedIn();
    const hint = await hintFor(person);
    await person.browser.get(logoutPath({ id_token_hint: hint })).expect(200);
    // Again, now with nothing to end: no page to confirm.
    const again = await person.browser.get(logoutPath({ id_token_hint: hint, post_logout_redirect_uri: AFTER_LOGOUT, state: 'n' })).expect(303);
    expect(again.headers.location).toBe(`${AFTER_LOGOUT}?state=n`);
    expectPage(await request(testApp.app.getHttpServer()).get('/logout'), 200, 'You are signed out');
  });
});

describe('bad requests are 400 pages and end nothing', () => {
  it('a post_logout_redirect_uri that is not registered exactly', async () => {
    const person = await signedIn();
    const hint = await hintFor(person);
    for (const uri of ['https://evil.example/bye', `${AFTER_LOGOUT}/`, `${AFTER_LOGOUT}?x=1`, 'https://APP.example.com/signed-out', 'https://other.example/bye']) {
      const response = await person.browser.get(logoutPath({ id_token_hint: hint, post_logout_redirect_uri: uri }));
      expectPage(response, 400, 'is not registered for Notes &lt;app&gt;');
      expect(response.headers.location).toBeUndefined();
    }
    expect(await isAlive(person)).toBe(true);
  });

  it('a post_logout_redirect_uri with no client to check it against', async () => {
    const person = await signedIn();
    expectPage(await person.browser.get(logoutPath({ post_logout_redirect_uri: AFTER_LOGOUT })), 400, 'needs id_token_hint or client_id');
    expect(await isAlive(person)).toBe(true);
  });

  it('a client_id that is not the hint’s audience, or not a client', async () => {
    const person = await signedIn();
    expectPage(await person.browser.get(logoutPath({ id_token_hint: await hintFor(person), client_id: other.client_id, post_logout_redirect_uri: 'https://other.example/bye' })), 400, 'client_id is not the application');
    expectPage(await person.browser.get(logoutPath({ client_id: 'no-such-client' })), 400, 'Unknown client');
    expect(await isAlive(person)).toBe(true);
  });

  it('a forged hint (another key, the same kid), an unsigned one, another issuer, an access token (RFC 9068 or the password grant’s), or garbage', async () => {
    const person = await signedIn();
    const key = await testApp.app.get(SigningKeysService).asymmetricSigningKey();
    const claims = { sub: person.sub, sid: person.sessionId, aud: app.client_id };
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).setIssuer(issuer).setIssuedAt().setExpirationTime('5m').sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', kid: key.kid })}.${encode({ ...claims, iss: issuer })}.`;
    const foreignIssuer = await new SignJWT(claims).setProtectedHeader({ alg: key.algorithm, kid: key.kid }).setIssuer('https://elsewhere.example').setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
    const numericTyp = await new SignJWT(claims).setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 7 as unknown as string }).setIssuer(issuer).setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
    const passwordGrantToken = (await testApp.http().post('/auth/token').type('form').send({ username: person.username, password: PASSWORD }).expect(200)).body.access_token as string;
    for (const hint of [forged, unsigned, foreignIssuer, numericTyp, person.tokens.access_token, passwordGrantToken, 'not-a-jwt', 'a.b.c']) {
      expectPage(await person.browser.get(logoutPath({ id_token_hint: hint, post_logout_redirect_uri: AFTER_LOGOUT })), 400, 'not an ID token this server issued');
    }
    expect(await isAlive(person)).toBe(true);
  });

  it('a repeated parameter, or one too long', async () => {
    const person = await signedIn();
    const hint = await hintFor(person);
    expectPage(await person.browser.get(`/logout?id_token_hint=${hint}&id_token_hint=${hint}`), 400, 'id_token_hint was sent more than once');
    expectPage(await person.browser.get(`/logout?client_id=${app.client_id}&post_logout_redirect_uri=${encodeURIComponent(AFTER_LOGOUT)}&state=a&state=b`), 400, 'state was sent more than once');
    expectPage(await person.browser.get(logoutPath({ client_id: app.client_id, state: 'x'.repeat(3000) })), 400, 'state is too long');
    expectPage(await person.browser.get(logoutPath({ id_token_hint: 'x'.repeat(9000) })), 400, 'id_token_hint is too long');
    expect(await isAlive(person)).toBe(true);
  });

  it('logout_hint and ui_locales are accepted and change nothing', async () => {
    const person = await signedIn();
    const response = await person.browser.get(logoutPath({ id_token_hint: await hintFor(person), logout_hint: person.username, ui_locales: 'fr-CA fr en', post_logout_redirect_uri: AFTER_LOGOUT })).expect(303);
    expect(response.headers.location).toBe(AFTER_LOGOUT);
  });
});
