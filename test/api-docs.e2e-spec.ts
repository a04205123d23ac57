import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_URL, expectShown, runAsWritten, shellBlocks, withNewlines } from './helpers/docs-commands.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * docs/API.md's one block of commands ("Clients": a resource server
 * registers, introspects a person's token, and gets a token of its own),
 * followed as written on a fresh data folder with the README's admin. What
 * the reader does by hand is done here: copying the client_id and secret the
 * registration answered, and taking a token as the README's walk-through does.
 */
const PAGE = 'docs/API.md';
const ADMIN = { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'admin-passphrase' };
let server: RunningServer;
const folder = mkdtempSync(join(tmpdir(), 'gatehouse-api-docs-'));

beforeAll(async () => {
  server = await startServer(ADMIN);
}, 60_000);
afterAll(() => server?.stop());

describe(`${PAGE}, followed as written`, () => {
  it('"Clients": registers a resource server, which introspects a person’s token and gets a token of its own', async () => {
    const [block] = shellBlocks(PAGE, '## Clients');
    const copied = ['CLIENT_ID=…; CLIENT_SECRET=…', 'TOKEN=…'];
    for (const line of copied) expect(block, `the page still says ${line}`).toMatch(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    const json = (field: string, file: string) => `$(node -p 'JSON.parse(require("fs").readFileSync(${JSON.stringify(file)}, "utf8")).${field}')`;
    const script = withNewlines(block)
      .split('\n')
      .map((line) => {
        // The registration's answer is kept, so that its two values can be "copied".
        if (line.startsWith(`  -d '{"client_name":"Orders API"`)) return `${line} | tee registered.json`;
        if (line.startsWith(copied[0])) return `CLIENT_ID=${json('client_id', 'registered.json')}; CLIENT_SECRET=${json('client_secret', 'registered.json')}`;
        if (line.startsWith(copied[1])) return `TOKEN=${json('access_token', 'alice.json')}`;
        return line;
      })
      .join('\n')
      .replaceAll(DOCS_URL, server.baseUrl);
    // alice and her token, as the README's walk-through makes them.
    const alice = [
      `curl -s -X POST ${server.baseUrl}/auth -H 'Content-Type: application/json' -d '{"username":"alice","password":"correct-horse"}' > /dev/null`,
      `curl -s -X POST ${server.baseUrl}/auth/token -d 'grant_type=password&username=alice&password=correct-horse' > alice.json`,
    ].join('\n');
    const stdout = await runAsWritten(`${alice}\n${script}`, { cwd: folder });
    expectShown(stdout, block);
  });
});
