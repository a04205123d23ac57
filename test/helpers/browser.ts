import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

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
