import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * axe-core's browser bundle, evaluated in the page through DevTools: the
 * pages' CSP (no inline script) rightly refuses page.addScriptTag({ content }),
 * and must not be loosened for a test.
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the page (WCAG 2.x A and AA rules) and fails on any serious or critical violation, naming it. */
export async function expectAccessible(page: Page): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as { document: unknown; axe: { run: (context: unknown, options: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } };
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return result.violations.map(({ id, impact, help, nodes }) => ({ id, impact, help, targets: nodes.map((node) => node.target.join(' ')) }));
  });
  expect(violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical'), page.url()).toEqual([]);
}

/** Signs in on the hosted login page the console sent the browser to, and waits to be back on `landing`. */
export async function signInOnLoginPage(page: Page, username: string, password: string, landing: RegExp): Promise<void> {
  await expect(page.title()).resolves.toMatch(/^Sign in/);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(landing);
}
