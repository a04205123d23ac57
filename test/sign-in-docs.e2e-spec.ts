import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_URL, expectShown, runAsWritten, shellBlocks, withNewlines } from './helpers/docs-commands.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * docs/sign-in-your-app.md's commands that need no browser, mailbox or
 * authenticator, followed as written in one folder: "Sessions" and "Password
 * policy" (up to the Have I Been Pwned example, which needs that API). Every
 * output shown after `# → ` is matched. The sign-in flow itself is followed
 * by test/sign-in-example.e2e-spec.ts.
 */
const PAGE = 'docs/sign-in-your-app.md';
let server: RunningServer;
const folder = mkdtempSync(join(tmpdir(), 'gatehouse-sign-in-docs-'));

beforeAll(async () => {
  server = await startServer();
}, 60_000);
afterAll(() => server?.stop());

describe(`${PAGE}, followed as written`, () => {
  it('"Sessions": two logins, the list, ending the phone’s session, then all the others', async () => {
    const [block] = shellBlocks(PAGE, '## Sessions: where you are logged in');
    const stdout = await runAsWritten(withNewlines(block).replaceAll(DOCS_URL, server.baseUrl), { cwd: folder });
    expectShown(stdout, block);
    expect(stdout).toContain('"createdUserAgent":"Phone"');
  });

  it('"Password policy": a common password, one with the username, a short one, then a long plain phrase', async () => {
    const [block] = shellBlocks(PAGE, '## Password policy');
    const offline = block.slice(0, block.indexOf('# With PASSWORD_BREACH_CHECK=hibp'));
    const stdout = await runAsWritten(withNewlines(offline).replaceAll(DOCS_URL, server.baseUrl), { cwd: folder });
    expectShown(stdout, offline);
    expect(stdout).toMatch(/"username":"bob","role":"user"/);
  });
});
