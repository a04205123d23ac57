import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: the tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where browser tests leave their screenshots; `.ci/run` prints it. */
export const ARTIFACTS_DIRECTORY = resolve(process.env.ARTIFACTS_DIR ?? 'test-artifacts');

/** Locally a missing Chromium skips the browser suites (saying so); in CI it fails them. */
export function chromiumSkipReason(): string | null {
  if (existsSync(CHROMIUM_PATH) || process.env.CI) return null;
  const reason = `skipped: browser suites: ${CHROMIUM_PATH} not found (apt-get install chromium)`;
  console.warn(reason);
  return reason;
}

export function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS_DIRECTORY, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
