import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './helpers/app.js';
import { apiOf, chromiumSkipReason, freshPage, launchChromium, screenshot, SCREENSHOTS_DIRECTORY } from './helpers/browser.js';
import { startClientApp, type ClientApp } from './helpers/client-app.js';
import { pkcePair } from './helpers/hosted-login.js';
import { createListeningApp, type ListeningApp } from './helpers/listening-app.js';

/**
 * The hosted login in a real browser (Debian's Chromium through
 * playwright-core): what a person sees and clicks, with the browser enforcing
 * what supertest cannot — the pages' Content-Security-Policy (form-action
 * must let the form's 303 reach the client's origin), SameSite cookies, the
 * redirect to another origin, Swagger UI's popup and its opener. Screenshots
 * of each page go to test-artifacts/screenshots (CI keeps the folder).
 */
const ADMIN = { username: 'browser-admin', password: 'browser-keeper-of-clients-1' };
const PASSWORD = 'browser-person-password-1';

let gatehouse: ListeningApp;
let clientApp: ClientApp;
let browser: Browser;

interface RegisteredClient {
  client_id: string;
  client_secret: string;
}
let firstParty: RegisteredClient;
let thirdParty: RegisteredClient;
const firstPartyRedirect = () => `${clientApp.baseUrl}/first/callback`;
const thirdPartyRedirect = () => `${clientApp.baseUrl}/third/callback`;

const api = apiOf(() => gatehouse.baseUrl);

async function register(body: object): Promise<RegisteredClient> {
  const response = await api('/clients', { method: 'POST', headers: { authorization: basic(ADMIN.username, ADMIN.password) }, json: body });
  expect(response.status).toBe(201);
  return (await response.json()) as RegisteredClient;
}

async function newPerson(username: string): Promise<void> {
  expect((await api('/auth', { method: 'POST', json: { username, password: PASSWORD } })).status).toBe(201);
}

/** Turns TOTP on for the account (password grant, enrol, confirm) and returns the secret. */
async function enableTotp(username: string): Promise<string> {
  const token = await api('/auth/token', { method: 'POST', body: new URLSearchParams({ username, password: PASSWORD }) });
  const { access_token: accessToken } = (await token.json()) as { access_token: string };
  const bearer = { authorization: `Bearer ${accessToken}` };
  const enrolment = await api('/auth/mfa/totp', { method: 'POST', headers: bearer, json: { password: PASSWORD } });
  expect(enrolment.status).toBe(201);
  const { secret } = (await enrolment.json()) as { secret: string };
  expect((await api('/auth/mfa/totp/confirm', { method: 'POST', headers: bearer, json: { code: await generate({ secret }) } })).status).toBe(200);
  return secret;
}

function authorizationUrl(client: RegisteredClient, redirectUri: string, challenge: string, state: string): string {
  const query = new URLSearchParams({ response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, scope: 'openid profile', code_challenge: challenge, code_challenge_method: 'S256', state });
  return `${gatehouse.baseUrl}/authorize?${query}`;
}

/** The application's back end: the code for tokens, with client_secret_basic. */
async function exchange(client: RegisteredClient, code: string, verifier: string, redirectUri: string): Promise<{ access_token: string; refresh_token: string; scope: string }> {
  const response = await api('/auth/token', {
    method: 'POST',
    headers: { authorization: basic(encodeURIComponent(client.client_id), encodeURIComponent(client.client_secret)) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { access_token: string; refresh_token: string; scope: string };
}

async function greets(accessToken: string, username: string): Promise<void> {
  const response = await api('/', { headers: { authorization: `Bearer ${accessToken}` } });
  expect(response.status).toBe(200);
  expect(((await response.json()) as { message: string }).message).toMatch(new RegExp(`^Hello, ${username} with ID: \\d+!$`));
}

/** Swagger UI's Try it out on GET /auth/me, with whatever it is authorized with: the status and the body shown. */
async function tryGetMe(page: Page): Promise<{ status: string; text: string }> {
  const operation = page.locator('[id$="-me"]').first();
  await operation.locator('.opblock-summary').first().click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('button.execute').click();
  const response = operation.locator('.live-responses-table .response').first();
  await response.waitFor();
  return { status: (await response.locator('.response-col_status').textContent())!.trim(), text: (await response.locator('.response-col_description').textContent()) ?? '' };
}

describe.skipIf(chromiumSkipReason())('the hosted login in Chromium', () => {
  beforeAll(async () => {
    clientApp = await startClientApp();
    gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
    firstParty = await register({ client_name: 'Acme Dashboard', redirect_uris: [firstPartyRedirect()], grant_types: ['authorization_code', 'refresh_token'], skip_consent: true });
    thirdParty = await register({ client_name: 'Photo Printer', client_uri: 'https://printer.example', redirect_uris: [thirdPartyRedirect()], grant_types: ['authorization_code', 'refresh_token'] });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.close();
    await clientApp?.close();
  });

  it('without TOTP: the login page, then the client receives code, state and iss, and the code buys tokens', async () => {
    await newPerson('ada');
    const { verifier, challenge } = pkcePair();
    const { context, page, blocked } = await freshPage(browser);
    try {
      await page.goto(authorizationUrl(firstParty, firstPartyRedirect(), challenge, 'state-ada'));
      await expect(page.title()).resolves.toBe('Sign in · Gatehouse');
      await expect(page.locator('main').textContent()).resolves.toContain('Acme Dashboard');
      // The labels are the contract's, so a person (and a screen reader) finds the fields by them.
      await page.getByLabel('Username').fill('ada');
      await page.getByLabel('Password').fill(PASSWORD);
      await screenshot(page, 'login');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`${firstPartyRedirect()}?**`);
      await expect(page.locator('#received').textContent()).resolves.toBe('/first/callback: code, state, iss');

      const landed = new URL(page.url());
      expect(landed.searchParams.get('state')).toBe('state-ada');
      expect(landed.searchParams.get('iss')).toBe(gatehouse.baseUrl);
      const tokens = await exchange(firstParty, landed.searchParams.get('code')!, verifier, firstPartyRedirect());
      expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: firstParty.client_id, amr: ['pwd'] });
      await greets(tokens.access_token, 'ada');
      // The session cookie is the browser's, as OAUTH.md says: HttpOnly, SameSite=Lax (not Secure on http).
      const session = (await context.cookies(gatehouse.baseUrl)).find((cookie) => cookie.name === 'gatehouse-session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('with TOTP, for a client that is not first-party: login, the code page, the consent page, Allow; tokens with amr mfa', async () => {
    await newPerson('grace');
    const secret = await enableTotp('grace');
    const { verifier, challenge } = pkcePair();
    const { context, page, blocked } = await freshPage(browser);
    try {
      await page.goto(authorizationUrl(thirdParty, thirdPartyRedirect(), challenge, 'state-grace'));
      await page.getByLabel('Username').fill('grace');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();

      await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
      await expect(page.locator('main').textContent()).resolves.toContain('Photo Printer');
      // The next time step's code: the one the enrolment confirmed is spent (replay protection), the next is accepted.
      await page.getByLabel('Code').fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
      await screenshot(page, 'second-factor');
      await page.getByRole('button', { name: 'Verify' }).click();

      await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
      const consent = (await page.locator('main').textContent())!;
      expect(consent).toContain('Photo Printer');
      expect(consent).toContain('See your username');
      await screenshot(page, 'consent');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL(`${thirdPartyRedirect()}?**`);

      const landed = new URL(page.url());
      expect(landed.searchParams.get('state')).toBe('state-grace');
      expect(landed.searchParams.get('iss')).toBe(gatehouse.baseUrl);
      const tokens = await exchange(thirdParty, landed.searchParams.get('code')!, verifier, thirdPartyRedirect());
      expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: thirdParty.client_id, amr: ['pwd', 'otp', 'mfa'], scope: 'openid profile' });
      await greets(tokens.access_token, 'grace');
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("Swagger UI: Authorize with the authorization code flow (gatehouse-docs, PKCE) through a popup login, then Try it out GET /auth/me answers 200", async () => {
    await newPerson('linus');
    const { context, page, blocked } = await freshPage(browser);
    try {
      // Tall enough that the screenshot of the dialog shows the scopes, gatehouse included.
      await page.setViewportSize({ width: 1280, height: 1000 });
      await page.goto(`${gatehouse.baseUrl}/docs`);
      await page.locator('.scheme-container button.authorize').click();
      const section = page.locator('.modal-ux .auth-container', { hasText: 'authorizationCode' });
      await section.waitFor();
      // client_id comes prefilled from initOAuth; the public client has no secret to fill.
      expect(await section.locator('input#client_id_authorizationCode').inputValue()).toBe('gatehouse-docs');
      const scope = section.locator('input#gatehouse-authorizationCode-checkbox-oauth2');
      if (!(await scope.isChecked())) await section.locator('label[for="gatehouse-authorizationCode-checkbox-oauth2"]').click();
      expect(await scope.isChecked()).toBe(true);
      // The dialog as a person sees it, scrolled to the code flow's client_id and scopes: the viewport, not the whole (very long) page.
      await section.locator('input#client_id_authorizationCode').evaluate((element) => element.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: join(SCREENSHOTS_DIRECTORY, 'swagger-authorize.png') });

      const popupOpened = page.waitForEvent('popup');
      const exchanged = page.waitForResponse((response) => response.url() === `${gatehouse.baseUrl}/auth/token`);
      await section.locator('button', { hasText: /^Authorize$/ }).click();
      const popup = await popupOpened;
      popup.setDefaultTimeout(10_000);
      const authorization = new URL(popup.url());
      expect(authorization.pathname).toBe('/authorize');
      expect(Object.fromEntries(authorization.searchParams)).toMatchObject({ client_id: 'gatehouse-docs', code_challenge_method: 'S256', redirect_uri: `${gatehouse.baseUrl}/docs/oauth2-redirect.html` });
      await popup.getByLabel('Username').fill('linus');
      await popup.getByLabel('Password').fill(PASSWORD);
      await popup.getByRole('button', { name: 'Sign in', exact: true }).click();
      // oauth2-redirect.html (served by @nestjs/swagger from swagger-ui-dist; its script is a file, which the CSP allows) hands the code to the opener and closes the popup.
      await popup.waitForEvent('close');
      // The opener exchanged the code with its PKCE verifier, as the public client.
      const exchange = await exchanged;
      expect(exchange.status()).toBe(200);
      const sent = new URLSearchParams(exchange.request().postData() ?? '');
      expect(Object.fromEntries(sent)).toMatchObject({ grant_type: 'authorization_code', client_id: 'gatehouse-docs', code_verifier: expect.stringMatching(/^[A-Za-z0-9._~-]{43,128}$/) });

      await section.locator('button', { hasText: 'Logout' }).waitFor();
      await section.locator('button', { hasText: 'Close' }).click();
      await page.locator('.modal-ux').waitFor({ state: 'detached' });

      expect(await tryGetMe(page)).toMatchObject({ status: '200', text: expect.stringContaining('"username": "linus"') });
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("Swagger UI's password form still signs in: its client_id, prefilled with gatehouse-docs, goes as Basic with no secret, which is the public client", async () => {
    await newPerson('margaret');
    const { context, page } = await freshPage(browser);
    try {
      await page.goto(`${gatehouse.baseUrl}/docs`);
      await page.locator('.scheme-container button.authorize').click();
      const section = page.locator('.modal-ux .auth-container', { hasText: 'OAuth2, password' });
      await section.locator('#oauth_username').fill('margaret');
      await section.locator('#oauth_password').fill(PASSWORD);
      expect(await section.locator('select#password_type').inputValue()).toBe('basic');
      const answered = page.waitForResponse((response) => response.url() === `${gatehouse.baseUrl}/auth/token`);
      await section.locator('button', { hasText: /^Authorize$/ }).click();
      // A 401 with a Basic challenge here would make Chromium ask for a user name and password in a dialog of its own (and hang).
      const answer = await answered;
      expect(answer.status()).toBe(200);
      expect(await answer.request().headerValue('authorization')).toBe(`Basic ${Buffer.from('gatehouse-docs:').toString('base64')}`);
      await section.locator('button', { hasText: 'Logout' }).waitFor();
      await section.locator('button', { hasText: 'Close' }).click();
      await page.locator('.modal-ux').waitFor({ state: 'detached' });
      expect(await tryGetMe(page)).toMatchObject({ status: '200', text: expect.stringContaining('"username": "margaret"') });
    } finally {
      await context.close();
    }
  });
});
