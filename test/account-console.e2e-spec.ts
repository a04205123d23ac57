import { generate } from 'otplib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, chromiumSkipReason, freshPage, launchChromium, screenshot } from './helpers/browser.js';
import { expectAccessible, signInOnLoginPage } from './helpers/console.js';
import { createListeningApp, type ListeningApp } from './helpers/listening-app.js';

/**
 * The account page (/account) in Chromium: signed in through the hosted
 * login, every change a form without JavaScript, the CSP enforced by the
 * browser, and axe-core on each page.
 */
const PASSWORD = 'account-console-password-1';
let gatehouse: ListeningApp;
let browser: Browser;
const api = apiOf(() => gatehouse.baseUrl);

async function newPerson(username: string): Promise<void> {
  expect((await api('/auth', { method: 'POST', json: { username, password: PASSWORD } })).status).toBe(201);
}

describe.skipIf(chromiumSkipReason())('the account page in Chromium', () => {
  beforeAll(async () => {
    gatehouse = await createListeningApp();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.close();
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
    } finally {
      await second.context.close();
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

  it('answers bad input with a 4xx page that says what to fix', async () => {
    await newPerson('barbara');
    const { context, page } = await freshPage(browser);
    try {
      await page.goto(`${gatehouse.baseUrl}/account`);
      await signInOnLoginPage(page, 'barbara', PASSWORD, /\/account$/);
      await page.locator('summary', { hasText: 'Change the password' }).click();
      await page.locator('#current-password').fill(PASSWORD);
      await page.locator('#new-password').fill('a-brand-new-password-2');
      await page.locator('#new-password-again').fill('a-different-password-3');
      const [response] = await Promise.all([page.waitForResponse((answer) => answer.url().endsWith('/account/password')), page.getByRole('button', { name: 'Change the password' }).click()]);
      expect(response.status()).toBe(400);
      await expect(page.locator('[role="alert"]').textContent()).resolves.toContain('the two new passwords differ');
      await expectAccessible(page);
    } finally {
      await context.close();
    }
  });
});
