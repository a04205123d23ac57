import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from './helpers/app.js';
import { apiOf, chromiumSkipReason, freshPage, launchChromium, screenshot } from './helpers/browser.js';
import { startClientApp, type ClientApp } from './helpers/client-app.js';
import { expectAccessible, signInOnLoginPage } from './helpers/console.js';
import { pkcePair } from './helpers/hosted-login.js';
import { freePort } from './helpers/listening-app.js';
import { codeIn, startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

/**
 * The account page (/account) in Chromium: signed in through the hosted
 * login, every change a form without JavaScript, the CSP enforced by the
 * browser, and axe-core on each page.
 */
const PASSWORD = 'account-console-password-1';
const ADMIN = { username: 'account-console-admin', password: 'steward-of-accounts-password-1' };
let gatehouse: TestApp & { baseUrl: string };
let browser: Browser;
let smtp: TestSmtpServer;
let clientApp: ClientApp;
const api = apiOf(() => gatehouse.baseUrl);

async function newPerson(username: string): Promise<void> {
  expect((await api('/auth', { method: 'POST', json: { username, password: PASSWORD } })).status).toBe(201);
}

/** A fresh browser signed in to the account page as `username`. */
async function accountPage(username: string, page?: Page) {
  const fresh = page ? null : await freshPage(browser);
  const tab = page ?? fresh!.page;
  await tab.goto(`${gatehouse.baseUrl}/account`);
  await signInOnLoginPage(tab, username, PASSWORD, /\/account$/);
  return { page: tab, close: () => fresh?.context.close() };
}

/** Clicks a button and waits for the 303 back to the account page with its notice. */
async function sendAndExpect(page: Page, button: ReturnType<Page['getByRole']>, done: string): Promise<void> {
  await button.click();
  await page.waitForURL(new RegExp(`/account\\?done=${done}$`));
}

describe.skipIf(chromiumSkipReason())('the account page in Chromium', () => {
  beforeAll(async () => {
    smtp = await startSmtpServer();
    clientApp = await startClientApp();
    // localhost, not 127.0.0.1: WebAuthn needs a host name for its RP ID (as in passkeys.e2e-spec.ts).
    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    gatehouse = { ...(await createTestApp({ PUBLIC_URL: baseUrl, SMTP_URL: smtp.url, MAIL_FROM: 'Gatehouse <no-reply@gatehouse.test>', ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password })), baseUrl };
    await gatehouse.app.listen(port, '127.0.0.1');
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.close();
    await clientApp?.close();
    await smtp?.close();
  });

  it('sends a visitor to the hosted login, then back to the account page, which passes axe-core', async () => {
    await newPerson('ada');
    const { context, page, blocked } = await freshPage(browser);
    try {
      await page.goto(`${gatehouse.baseUrl}/account`);
      expect(new URL(page.url()).pathname).toBe('/authorize');
      await signInOnLoginPage(page, 'ada', PASSWORD, /\/account$/);
      await expect(page.title()).resolves.toBe('Your account · Gatehouse');
      await expect(page.locator('main').textContent()).resolves.toContain('ada');
      await expect(page.locator('#sessions tbody tr').count()).resolves.toBeGreaterThanOrEqual(1);
      await expect(page.locator('#sessions').textContent()).resolves.toContain('this browser');
      await expect(page.locator('#activity').textContent()).resolves.toContain('Sign-in');
      await screenshot(page, 'account');
      await expectAccessible(page);
      // A phone: nothing wider than the screen.
      await page.setViewportSize({ width: 375, height: 800 });
      await expect(page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(375);
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('enrols TOTP from the account page (QR code, recovery codes once), and the next sign-in asks for a code', async () => {
    await newPerson('grace');
    const { context, page, blocked } = await freshPage(browser);
    let secret: string;
    let recoveryCode: string;
    try {
      await page.goto(`${gatehouse.baseUrl}/account`);
      await signInOnLoginPage(page, 'grace', PASSWORD, /\/account$/);
      await page.getByLabel('Current password').last().fill(PASSWORD);
      await page.getByRole('button', { name: 'Set up two-factor' }).click();
      await expect(page.locator('img.qr').getAttribute('src')).resolves.toMatch(/^data:image\/png;base64,/);
      secret = (await page.locator('code.secret').textContent())!.trim();
      await screenshot(page, 'account-two-factor');
      await expectAccessible(page);
      await page.getByLabel('Code').fill(await generate({ secret }));
      await page.getByRole('button', { name: 'Turn two-factor on' }).click();
      await expect(page.locator('ul.codes li').count()).resolves.toBeGreaterThanOrEqual(8);
      recoveryCode = (await page.locator('ul.codes li').first().textContent())!.trim();
      await expectAccessible(page);
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
    const second = await freshPage(browser);
    try {
      await second.page.goto(`${gatehouse.baseUrl}/account`);
      await second.page.getByLabel('Username').fill('grace');
      await second.page.getByLabel('Password').fill(PASSWORD);
      await second.page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect(second.page.title()).resolves.toMatch(/^Two-factor authentication/);
      // A code of the next time step: the one used to confirm is spent.
      await second.page.getByLabel('Code').fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
      await second.page.getByRole('button', { name: 'Verify' }).click();
      await second.page.waitForURL(/\/account$/);
      await expect(second.page.locator('#security').textContent()).resolves.toContain('on');

      // Turning it off takes a code: a wrong one is refused, a recovery code does it.
      await second.page.locator('summary', { hasText: 'Turn two-factor off' }).click();
      await second.page.getByLabel('Code').fill('000000');
      const [refused] = await Promise.all([second.page.waitForResponse((answer) => answer.url().endsWith('/account/two-factor/disable')), second.page.getByRole('button', { name: 'Turn two-factor off' }).click()]);
      expect(refused.status()).toBe(400);
      await second.page.goto(`${gatehouse.baseUrl}/account`);
      await second.page.locator('summary', { hasText: 'Turn two-factor off' }).click();
      await second.page.getByLabel('Code').fill(recoveryCode);
      await sendAndExpect(second.page, second.page.getByRole('button', { name: 'Turn two-factor off' }), 'two-factor-off');
      await expect(second.page.locator('[role="status"]').first().textContent()).resolves.toContain('Two-factor authentication is off');
      await expect(second.page.locator('#security .badge').first().textContent()).resolves.toBe('off');
      await expect(second.page.getByRole('button', { name: 'Set up two-factor' }).count()).resolves.toBe(1);
    } finally {
      await second.context.close();
    }
  });

  it('changes the e-mail address (a mail with a code goes to it), and sends the verification mail again', async () => {
    await newPerson('edith');
    const { page, close } = await accountPage('edith');
    try {
      await page.locator('summary', { hasText: 'Change the e-mail address' }).click();
      await page.getByLabel('New e-mail address').fill('edith@example.com');
      await page.locator('#email-password').fill(PASSWORD);
      await sendAndExpect(page, page.getByRole('button', { name: 'Change the address' }), 'email-changed');
      await expect(page.locator('#account').textContent()).resolves.toContain('edith@example.com');
      await expect(page.locator('#account .badge').textContent()).resolves.toBe('not verified');
      const first = codeIn(await smtp.nextMailTo('edith@example.com'));

      await sendAndExpect(page, page.getByRole('button', { name: 'Send the verification mail again' }), 'email-resent');
      await expect(page.locator('[role="status"]').first().textContent()).resolves.toContain('A new verification mail');
      const second = codeIn(await smtp.nextMailTo('edith@example.com'));
      expect(second).not.toBe(first);
      await expectAccessible(page);
    } finally {
      await close();
    }
  });

  it('withdraws the access of an application the person allowed: the next authorization asks again', async () => {
    await newPerson('margaret');
    const redirectUri = `${clientApp.baseUrl}/account-console/callback`;
    const registered = await api('/clients', {
      method: 'POST',
      headers: { authorization: basic(ADMIN.username, ADMIN.password) },
      json: { client_name: 'Withdrawable App', redirect_uris: [redirectUri], grant_types: ['authorization_code'] },
    });
    expect(registered.status).toBe(201);
    const { client_id: clientId } = (await registered.json()) as { client_id: string };
    const authorize = () => {
      const { challenge } = pkcePair();
      return `${gatehouse.baseUrl}/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', state: 's1' })}`;
    };
    const { page, close } = await accountPage('margaret');
    try {
      await expect(page.locator('#applications').textContent()).resolves.toContain('You have allowed no application');
      await page.goto(authorize());
      await page.getByRole('button', { name: /allow/i }).click();
      await page.waitForURL((url) => url.href.startsWith(redirectUri));
      // Allowed once, not asked again.
      await page.goto(authorize());
      await page.waitForURL((url) => url.href.startsWith(redirectUri));

      await page.goto(`${gatehouse.baseUrl}/account`);
      await expect(page.locator('#applications').textContent()).resolves.toContain('Withdrawable App');
      await expectAccessible(page);
      await sendAndExpect(page, page.getByRole('button', { name: 'Withdraw access of Withdrawable App' }), 'application-withdrawn');
      await expect(page.locator('#applications').textContent()).resolves.toContain('You have allowed no application');
      const again = await page.request.post(`${gatehouse.baseUrl}/account/applications/${encodeURIComponent(clientId)}/withdraw`, { form: { _csrf: await page.locator('input[name="_csrf"]').first().inputValue() }, maxRedirects: 0 });
      expect(again.status()).toBe(400);
      await page.goto(authorize());
      await expect(page.getByRole('button', { name: /allow/i }).count()).resolves.toBe(1);
    } finally {
      await close();
    }
  });

  it('adds a passkey with the browser’s WebAuthn (a virtual authenticator), renames it and removes it', async () => {
    await newPerson('alan');
    const { context, page, blocked } = await freshPage(browser);
    try {
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
      await accountPage('alan', page);
      await expect(page.locator('#passkeys-heading + p').textContent()).resolves.toBe('No passkeys yet.');
      // The script shows the form (hidden without JavaScript) and hides the fallback sentence.
      await expect(page.locator('#add-passkey').isVisible()).resolves.toBe(true);
      await expect(page.locator('#passkey-needs-script').isVisible()).resolves.toBe(false);
      await page.getByLabel('Name of the new passkey').fill('Laptop');
      await sendAndExpect(page, page.getByRole('button', { name: 'Add a passkey' }), 'passkey-added');
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      expect(credentials).toHaveLength(1);
      await expect(page.locator('#security .items').textContent()).resolves.toContain('Laptop');
      await screenshot(page, 'account-passkeys');
      await expectAccessible(page);

      await page.getByLabel('New name for Laptop').fill('Work laptop');
      await sendAndExpect(page, page.getByRole('button', { name: 'Rename' }), 'passkey-renamed');
      await expect(page.locator('#security .items strong').textContent()).resolves.toBe('Work laptop');

      await sendAndExpect(page, page.getByRole('button', { name: 'Remove the passkey Work laptop' }), 'passkey-removed');
      await expect(page.locator('#security .items').count()).resolves.toBe(0);
      await expect(page.locator('#activity').textContent()).resolves.toMatch(/[Pp]asskey/);
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('ends the other sessions, and refuses a form without its CSRF token with a 403 page', async () => {
    await newPerson('linus');
    const token = await api('/auth/token', { method: 'POST', body: new URLSearchParams({ username: 'linus', password: PASSWORD }) });
    const { access_token: accessToken } = (await token.json()) as { access_token: string };
    const { context, page } = await freshPage(browser);
    try {
      await page.goto(`${gatehouse.baseUrl}/account`);
      await signInOnLoginPage(page, 'linus', PASSWORD, /\/account$/);
      await expect(page.locator('#sessions tbody tr').count()).resolves.toBe(2);

      const forged = await page.request.post(`${gatehouse.baseUrl}/account/sessions/end-others`, { form: { nothing: 'here' }, maxRedirects: 0 });
      expect(forged.status()).toBe(403);
      expect(await forged.text()).toContain('did not come from this site');

      await page.getByRole('button', { name: 'End every other session' }).click();
      await page.waitForURL(/done=sessions-ended/);
      await expect(page.locator('[role="status"]').first().textContent()).resolves.toContain('Every other session has ended');
      await expect(page.locator('#sessions tbody tr').count()).resolves.toBe(1);
      expect((await api('/auth/me', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
    } finally {
      await context.close();
    }
  });

  it('answers bad input on the form itself: a 400, the message beside the fields, what was typed kept (never a password)', async () => {
    await newPerson('barbara');
    const { page, close } = await accountPage('barbara');
    const send = async (action: string, button: string) => {
      const [response] = await Promise.all([page.waitForResponse((answer) => answer.url().endsWith(action)), page.getByRole('button', { name: button }).click()]);
      expect(response.status()).toBe(400);
      await page.waitForLoadState();
    };
    try {
      await page.locator('summary', { hasText: 'Change the password' }).click();
      await page.locator('#current-password').fill(PASSWORD);
      await page.locator('#new-password').fill('a-brand-new-password-2');
      await page.locator('#new-password-again').fill('a-different-password-3');
      await send('/account/password', 'Change the password');
      // The account page again, its password form open with the message in it.
      await expect(page.title()).resolves.toBe('Your account · Gatehouse');
      await expect(page.locator('form[action="/account/password"] [role="alert"]').textContent()).resolves.toContain('the two new passwords differ');
      await expect(page.locator('#current-password').inputValue()).resolves.toBe('');
      await expect(page.locator('#new-password').getAttribute('aria-describedby')).resolves.toBe('password-problem new-password-hint');
      await expect(page.locator('#new-password').isVisible()).resolves.toBe(true);
      await expectAccessible(page);

      // A password the service refuses (it contains the username): its rule, on the form.
      await page.locator('#current-password').fill(PASSWORD);
      await page.locator('#new-password').fill('barbara-is-my-password-9');
      await page.locator('#new-password-again').fill('barbara-is-my-password-9');
      await send('/account/password', 'Change the password');
      await expect(page.locator('form[action="/account/password"] [role="alert"]').textContent()).resolves.toMatch(/username/i);

      // The e-mail form: an address the browser lets through but the server does not, then a wrong password; the address stays.
      await page.locator('summary', { hasText: 'Change the e-mail address' }).click();
      await page.getByLabel('New e-mail address').fill('barbara@localhost');
      await page.locator('#email-password').fill(PASSWORD);
      await send('/account/email', 'Change the address');
      await expect(page.locator('form[action="/account/email"] [role="alert"]').textContent()).resolves.toContain('E-mail address: enter an address such as');
      await expect(page.getByLabel('New e-mail address').inputValue()).resolves.toBe('barbara@localhost');
      await page.getByLabel('New e-mail address').fill('barbara@example.com');
      await page.locator('#email-password').fill('not-the-password-1');
      await send('/account/email', 'Change the address');
      await expect(page.locator('form[action="/account/email"] [role="alert"]').textContent()).resolves.toContain('the password is wrong');
      await expect(page.getByLabel('New e-mail address').inputValue()).resolves.toBe('barbara@example.com');
      await expect(page.locator('#email-password').inputValue()).resolves.toBe('');
      await expect(page.locator('form[action="/account/password"] [role="alert"]').count()).resolves.toBe(0);
      await expectAccessible(page);
    } finally {
      await close();
    }
  });
});
