import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';

/** Debian's Chromium: the tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where browser tests leave their screenshots; `.ci/run` prints it. */
export const ARTIFACTS_DIRECTORY = resolve(process.env.ARTIFACTS_DIR ?? 'test-artifacts');

/** The hosted pages' screenshots (login, second factor, consent, Swagger UI's Authorize), inside the artefacts. */
export const SCREENSHOTS_DIRECTORY = join(ARTIFACTS_DIRECTORY, 'screenshots');

/** Locally a missing Chromium skips the browser suites (saying so); in CI it fails them. */
export function chromiumSkipReason(): string | null {
  if (existsSync(CHROMIUM_PATH) || process.env.CI) return null;
  const reason = `skipped: browser suites: ${CHROMIUM_PATH} not found (apt-get install chromium)`;
  console.warn(reason);
  return reason;
}

/**
 * Headless Debian Chromium, quiet: no sandbox (CI runs as root in a
 * container), no GPU, no QUIC, and none of the background traffic a fresh
 * profile starts (first-run, component updates, sync), so a test talks only
 * to the servers it started.
 */
export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS_DIRECTORY, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page's full screenshot, `name`.png in SCREENSHOTS_DIRECTORY. */
export const screenshot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS_DIRECTORY, `${name}.png`), fullPage: true });

/** A fresh browser profile (no cookies) with a page that fails fast. */
export async function freshPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; blocked: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  // Whatever the CSP refuses shows as a console error, in this page or a popup it opens: collected, so a test can say none happened.
  const blocked: string[] = [];
  context.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) blocked.push(message.text());
  });
  return { context, page, blocked };
}

/** A tab with its own virtual authenticator (authenticators belong to the tab that added them), on a page of `origin`. */
export interface AuthenticatorTab {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  blocked: string[];
}

/**
 * A fresh tab with Chromium's virtual authenticator (CDP WebAuthn domain:
 * CTAP2, built in, resident keys, user verification, presence simulated),
 * on `origin`: any page of it will do, since the ceremonies run in its
 * JavaScript with options from the API.
 */
export async function tabWithVirtualAuthenticator(browser: Browser, origin: string): Promise<AuthenticatorTab> {
  const { context, page, blocked } = await freshPage(browser);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await page.goto(`${origin}/.well-known/openid-configuration`);
  return { context, page, cdp, authenticatorId, blocked };
}

/** fetch on a server's paths, with `json` as a JSON body: what a test's back end calls alongside the browser. */
export function apiOf(baseUrl: () => string) {
  return (path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${baseUrl()}${path}`, { ...rest, headers, body: json === undefined ? rest.body : JSON.stringify(json) });
  };
}
