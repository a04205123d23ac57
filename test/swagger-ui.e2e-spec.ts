import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS_DIRECTORY, chromiumSkipReason, launchChromium } from './helpers/browser.js';
import { startServer, type RunningServer } from './helpers/server.js';

/** What a person does at /docs, in a real browser, against the built service. */
describe.skipIf(chromiumSkipReason())('Swagger UI in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${server.baseUrl}/docs`);
  }, 60_000);

  afterAll(async () => {
    await page?.screenshot({ path: join(ARTIFACTS_DIRECTORY, 'swagger-ui.png'), fullPage: true });
    await browser?.close();
    await server?.stop();
  });

  /** Opens an operation, clicks Try it out, optionally fills the body, executes, and returns status and body. */
  async function execute(operationId: string, body?: object): Promise<{ status: string; text: string }> {
    const operation = page.locator(`[id$="-${operationId}"]`).first();
    if (!(await operation.locator('.opblock-body').isVisible())) await operation.locator('.opblock-summary').first().click();
    const tryItOut = operation.locator('button.try-out__btn');
    if ((await tryItOut.textContent())?.includes('Try it out')) await tryItOut.click();
    if (body) await operation.locator('textarea.body-param__text').fill(JSON.stringify(body));
    await operation.locator('button.execute').click();
    const response = operation.locator('.live-responses-table .response').first();
    await response.waitFor();
    return {
      status: (await response.locator('.response-col_status').textContent())!.trim(),
      text: (await response.locator('.response-col_description').textContent()) ?? '',
    };
  }

  async function authorize(fill: (modal: ReturnType<Page['locator']>) => Promise<void>, section: string): Promise<void> {
    await page.locator('.scheme-container button.authorize').click();
    const modal = page.locator('.modal-ux');
    await fill(modal);
    const container = modal.locator('.auth-container', { hasText: section });
    await container.locator('button', { hasText: /^Authorize$/ }).click();
    await container.locator('button', { hasText: 'Logout' }).waitFor();
    await container.locator('button', { hasText: 'Close' }).click();
    await modal.waitFor({ state: 'detached' });
  }

  it('shows the tags in the order a person meets them, and OAuth2 first in Authorize: the code flow with PKCE (client gatehouse-docs), then the password form', async () => {
    await page.waitForSelector('#operations-auth-register');
    const tags = await page.locator('.opblock-tag-section .opblock-tag').evaluateAll((elements) => elements.map((element) => element.getAttribute('data-tag')));
    expect(tags.filter((tag) => ['auth', 'greeting', 'users', 'health'].includes(tag!))).toEqual(['auth', 'greeting', 'users', 'health']);
    expect(tags[0]).toBe('auth');

    await page.locator('.scheme-container button.authorize').click();
    const schemes = page.locator('.modal-ux .auth-container');
    await schemes.first().waitFor();
    const [codeFlow, passwordFlow, ...rest] = await schemes.allTextContents();
    expect(codeFlow).toContain('oauth2 (OAuth2, authorizationCode with PKCE)');
    expect(codeFlow).toContain('gatehouse-docs');
    expect(passwordFlow).toContain('oauth2 (OAuth2, password)');
    expect(rest.map((text) => /^(\w+)/.exec(text.trim())?.[1])).toEqual(['bearer', 'basic']);
    // The dialog opens on the OAuth2 form (Swagger UI alone would focus, and scroll to, Basic's).
    await page.waitForFunction("document.activeElement?.id === 'oauth_username'");
    await page.locator('.modal-ux button.close-modal').click();
    await page.locator('.modal-ux').waitFor({ state: 'detached' });
  });

  it('registers through Try it out, logs in with the OAuth2 password form, greets; then Basic as a non-admin gets 403', async () => {
    await page.waitForSelector('#operations-auth-register');

    const registered = await execute('register', { username: 'browser-user', password: 'browser-password' });
    expect(registered.status).toBe('201');
    expect(registered.text).toContain('"username": "browser-user"');

    await authorize(async (modal) => {
      await modal.locator('#oauth_username').fill('browser-user');
      await modal.locator('#oauth_password').fill('browser-password');
    }, 'Flow: password');

    const greeting = await execute('greet');
    expect(greeting.status).toBe('200');
    expect(greeting.text).toMatch(/Hello, browser-user with ID: \d+!/);

    // Log out of OAuth2, then authorize with Basic instead.
    await page.locator('.scheme-container button.authorize').click();
    const oauth2 = page.locator('.modal-ux .auth-container', { hasText: 'Flow: password' });
    await oauth2.locator('button', { hasText: 'Logout' }).click();
    await oauth2.locator('button', { hasText: 'Close' }).click();
    await page.locator('.modal-ux').waitFor({ state: 'detached' });
    await authorize(async (modal) => {
      await modal.locator('#auth-basic-username').fill('browser-user');
      await modal.locator('#auth-basic-password').fill('browser-password');
    }, 'basic');

    const forbidden = await execute('protectedAdmin');
    expect(forbidden.status).toBe('403');
    expect(forbidden.text).toContain('You do not have permission to access this resource.');
  });

  it('enrols in two-factor through Try it out, and the QR code of the answer shows as an image', async () => {
    // Still signed in with Basic as browser-user (the test before).
    const enrolment = await execute('enrolTotp', { password: 'browser-password' });
    expect(enrolment.status).toBe('201');
    const qrCode = /"qrCode": "(data:image\/png;base64,[A-Za-z0-9+/=]+)"/.exec(enrolment.text)?.[1];
    expect(qrCode).toBeDefined();
    const qrPage = await browser.newPage();
    try {
      await qrPage.setContent(`<img id="qr" alt="TOTP QR code" src="${qrCode}">`);
      const width = await qrPage.locator('#qr').evaluate((image) => { const { complete, naturalWidth } = image as unknown as { complete: boolean; naturalWidth: number }; return complete ? naturalWidth : 0; });
      expect(width).toBeGreaterThan(100);
      await qrPage.screenshot({ path: join(ARTIFACTS_DIRECTORY, 'totp-qr-code.png') });
    } finally {
      await qrPage.close();
    }
  });

  it("POST /auth/token's Try it out sends one grant's fields, the grant picked in Examples (not every grant's at once)", async () => {
    const block = page.locator(`[id$="-token"]`).first();
    if (!(await block.locator('.opblock-body').isVisible())) await block.locator('.opblock-summary').first().click();
    await block.locator('button.try-out__btn').click();
    await block.locator('.opblock-body select').nth(1).selectOption({ label: (await block.locator('.opblock-body select').nth(1).locator('option', { hasText: '`password` (or omitted)' }).textContent())! });
    const [request] = await Promise.all([page.waitForRequest((candidate) => candidate.url().endsWith('/auth/token')), block.locator('button.execute').click()]);
    expect(request.headers()['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.postData()).toBe('grant_type=password&username=alice&password=correct-horse');
    await block.locator('button.try-out__btn').click();
  });
});
