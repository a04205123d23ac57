import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type RunningExample } from './helpers/example-app.js';
import { formOf } from './helpers/hosted-login.js';
import { createTemporaryDatabase, onPostgres, type TemporaryDatabase } from './helpers/postgres.js';
import { runBuilt, startServer, type RunningServer } from './helpers/server.js';

/**
 * The README's "Sign users in to your application", so that it cannot rot:
 * its client:create command, run as written (the built program, on the
 * service's database), and its snippet, which must be lines of
 * examples/web-app/app.mjs, run as that application against the built
 * service, through the hosted login and consent pages with a cookie-keeping
 * browser of fetch calls: signed in (the id_token checked by openid-client),
 * the name and e-mail address from userinfo, signed out through
 * RP-initiated logout. (test/web-app-example.e2e-spec.ts drives the same
 * application in Chromium, with back-channel logout.)
 */
const APP = 'examples/web-app/app.mjs';
const ADMIN = { username: 'sign-in-admin', password: 'keeper-of-the-gate-1' };
const PERSON = { username: 'alice', password: 'correct-horse', email: 'alice@example.com' };
const README_PORT = '4100';

/** The section of docs/sign-in-your-app.md, from its heading to the next one. */
function section(): string {
  const readme = readFileSync('docs/sign-in-your-app.md', 'utf8');
  const start = readme.indexOf('## Sign users in to your application');
  expect(start, 'docs/sign-in-your-app.md has the section').toBeGreaterThan(-1);
  return readme.slice(start, readme.indexOf('\n## ', start + 5));
}
const blocksOf = (text: string, language: string) => [...text.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1]);

/** The first free port the system gives: the application's redirect URI names it before the application listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A browser, as far as this flow needs one: cookies (one jar for 127.0.0.1, whatever the port, as browsers keep them), no automatic redirects. */
function browser() {
  const cookies = new Map<string, string>();
  return async (url: string, form?: Record<string, string>): Promise<{ status: number; location: string | null; text: string; url: string }> => {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { Cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '), ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form) : undefined,
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get('location');
    return { status: response.status, location: location && new URL(location, url).href, text: await response.text(), url };
  };
}

let database: TemporaryDatabase | null;
let gatehouse: RunningServer;
let application: RunningExample | undefined;
let appUrl: string;

beforeAll(async () => {
  database = onPostgres() ? await createTemporaryDatabase() : null;
  const DATABASE_URL = database?.url ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'gatehouse-sign-in-')), 'app.sqlite')}`;
  gatehouse = await startServer({ DATABASE_URL, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
  const registered = await fetch(`${gatehouse.baseUrl}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(PERSON) });
  expect(registered.status).toBe(201);

  // Step 1 of the README, as written, with the port of this run.
  const port = String(await freePort());
  const command = blocksOf(section(), 'sh')[0].split('\n').find((line) => line.startsWith('npm run client:create -- '))!;
  expect(command).toContain(`--redirect-uri http://127.0.0.1:${README_PORT}/callback`);
  expect(command).toContain(`--post-logout-redirect-uri http://127.0.0.1:${README_PORT}/`);
  const args = [...command.slice('npm run client:create -- '.length).replaceAll(`:${README_PORT}/`, `:${port}/`).matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]);
  const created = await runBuilt('dist/src/cli/create-client.js', args, { DATABASE_URL });
  expect(created.code, created.stderr).toBe(0);
  const [, clientId, clientSecret] = /client_id: +(\S+)\nclient_secret: (\S+)/.exec(created.stdout)!;

  application = await startExample(APP, { GATEHOUSE_URL: gatehouse.baseUrl, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, PORT: port });
  appUrl = `http://127.0.0.1:${port}`;
}, 90_000);
afterAll(async () => {
  application?.stop();
  await gatehouse?.stop();
  await database?.drop();
});

describe("the README's sign-in with openid-client", () => {
  it(`shows lines of ${APP}, in their order, and nothing else`, () => {
    const [snippet] = blocksOf(section(), 'js');
    const shown = snippet.split('\n').filter((line) => line.trim() !== '');
    expect(shown.length).toBeGreaterThan(10);
    const lines = readFileSync(APP, 'utf8').split('\n');
    let at = 0;
    for (const line of shown) {
      const found = lines.indexOf(line, at);
      expect(found, `README line not in ${APP} (after line ${at}): ${line}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });

  it('signs a person in through the hosted login and consent pages, shows their name and e-mail address, and signs them out of Gatehouse too', async () => {
    const visit = browser();
    expect((await visit(`${appUrl}/`)).text).toContain('Sign in with Gatehouse');
    // The application sends the browser to Gatehouse's authorization endpoint, found by discovery, with PKCE and a nonce.
    const toGatehouse = await visit(`${appUrl}/login`);
    expect(toGatehouse.status).toBe(303);
    const authorize = new URL(toGatehouse.location!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${gatehouse.baseUrl}/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({ response_type: 'code', code_challenge_method: 'S256', scope: 'openid profile email', redirect_uri: `${appUrl}/callback`, nonce: expect.any(String) });

    const login = await visit(authorize.href);
    expect(login.status).toBe(200);
    expect(login.text).toContain('My app');
    const loginForm = formOf(login.text);
    const consent = await visit(new URL(loginForm.action, gatehouse.baseUrl).href, { ...loginForm.fields, username: PERSON.username, password: PERSON.password });
    expect(consent.status).toBe(200);
    expect(consent.text).toContain('name="decision"');
    const consentForm = formOf(consent.text);
    const back = await visit(new URL(consentForm.action, gatehouse.baseUrl).href, { ...consentForm.fields, decision: 'allow' });
    expect(back.status).toBe(303);
    expect(back.location!.startsWith(`${appUrl}/callback?code=`)).toBe(true);
    expect(new URL(back.location!).searchParams.get('iss')).toBe(gatehouse.baseUrl);

    // openid-client checks state, iss and the id_token (signature from jwks_uri, aud, nonce), trades the code (client_secret_basic, the PKCE verifier), and asks userinfo.
    const signedIn = await visit(back.location!);
    expect(signedIn.status, signedIn.text).toBe(303);
    const home = await visit(`${appUrl}/`);
    expect(home.text).toContain('Signed in as <strong id="name">alice</strong> (<span id="email">alice@example.com</span>)');

    // The person sees the application among those they allowed.
    const asPerson = { Authorization: `Basic ${Buffer.from(`${PERSON.username}:${PERSON.password}`).toString('base64')}` };
    const grants = await fetch(`${gatehouse.baseUrl}/auth/grants`, { headers: asPerson });
    expect(await grants.json()).toEqual([expect.objectContaining({ client_name: 'My app', scope: 'openid profile email' })]);
    const browserSessions = async () => ((await (await fetch(`${gatehouse.baseUrl}/auth/sessions`, { headers: asPerson })).json()) as { kind: string }[]).filter((session) => session.kind === 'browser');
    expect(await browserSessions()).toHaveLength(1);

    // "Sign out": the application drops its session and sends the browser to the end_session_endpoint with the id_token as hint; it proves the session, which ends without a question, and the browser comes back.
    const signOut = await visit(`${appUrl}/logout`, {});
    expect(signOut.status).toBe(303);
    const endSession = new URL(signOut.location!);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${gatehouse.baseUrl}/logout`);
    expect(Object.fromEntries(endSession.searchParams)).toMatchObject({ id_token_hint: expect.any(String), post_logout_redirect_uri: `${appUrl}/`, client_id: expect.any(String) });
    const backHome = await visit(endSession.href);
    expect(backHome.status, backHome.text).toBe(303);
    expect(backHome.location).toBe(`${appUrl}/`);
    expect((await visit(backHome.location!)).text).toContain('Sign in with Gatehouse');
    expect(await browserSessions()).toEqual([]);
  });

  it('refuses a logout token that is not a Gatehouse logout token (400), and signs no one out', async () => {
    const post = (body: string) => fetch(`${appUrl}/backchannel-logout`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    expect((await post('logout_token=not-a-jwt')).status).toBe(400);
    expect((await post('')).status).toBe(400);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'logout+jwt' })}.${encode({ iss: gatehouse.baseUrl, aud: 'x', sid: 's', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } })}.`;
    expect((await post(`logout_token=${unsigned}`)).status).toBe(400);
  });

  it('refuses a callback whose state is not that of the sign-in under way (openid-client checks it), and signs no one in', async () => {
    const visit = browser();
    await visit(`${appUrl}/login`);
    const forged = await visit(`${appUrl}/callback?code=forged-code&state=not-the-state&iss=${encodeURIComponent(gatehouse.baseUrl)}`);
    expect(forged.status).toBe(502);
    expect((await visit(`${appUrl}/`)).text).toContain('Sign in with Gatehouse');
  });
});
