import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyPrintedClient, expectShown, runAsWritten, shellBlocks, withNewlines } from './helpers/docs-commands.js';
import { freePort } from './helpers/listening-app.js';
import { createTemporaryDatabase, onPostgres, type TemporaryDatabase } from './helpers/postgres.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * docs/protect-your-api.md, followed as written: its "Resource servers"
 * commands (register the example's client, start the example, get a token,
 * call the example) and then its introspection command, in one shell on a
 * fresh data folder, every output the page shows after `# → ` matched (`…`
 * stands for anything). What a person does by hand is done here: copying the
 * printed client_id and secret, and waiting for the example to listen.
 */
const PAGE = 'docs/protect-your-api.md';
const GATEHOUSE_URL = 'http://127.0.0.1:3000';
const EXAMPLE_URL = 'http://127.0.0.1:4000';

const blocks = () => shellBlocks(PAGE, '## Resource servers');

let database: TemporaryDatabase | null;
let gatehouse: RunningServer;
let databaseUrl: string;

beforeAll(async () => {
  database = onPostgres() ? await createTemporaryDatabase() : null;
  databaseUrl = database?.url ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'gatehouse-protect-')), 'app.sqlite')}`;
  gatehouse = await startServer({ DATABASE_URL: databaseUrl });
}, 60_000);
afterAll(async () => {
  await gatehouse?.stop();
  await database?.drop();
});

describe(`${PAGE}, followed in order`, () => {
  it('registers the example’s client, starts the example, and the example greets the token; introspection says it is active', async () => {
    const [resourceServer, introspection] = blocks();
    expect(introspection).toBeDefined();
    const port = await freePort();
    const shown = `${resourceServer}\n${introspection}`;
    expect(shown.split('\n').filter((line) => line.startsWith('# → ')).length).toBeGreaterThanOrEqual(4);

    const script = withNewlines(shown)
      .split('\n')
      .map((line) => copyPrintedClient(line, '$CREATED'))
      .map((line) => {
        // The person waits for the example to say it listens before calling it.
        if (line.includes('examples/resource-server/dist/main.js &')) return `${line}\nuntil curl -s -o /dev/null "http://127.0.0.1:${port}/"; do sleep 0.2; done`;
        return line;
      })
      .join('\n')
      .replaceAll(EXAMPLE_URL, `http://127.0.0.1:${port}`)
      .replaceAll(GATEHOUSE_URL, gatehouse.baseUrl);
    const prelude = `CREATED=$(mktemp); trap 'kill $(jobs -p) 2>/dev/null; rm -f "$CREATED"' EXIT\n`;
    const stdout = await runAsWritten(prelude + script, { timeout: 120_000, env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), REDIS_URL: '' } });
    expectShown(stdout, shown, (line) => line.replaceAll(EXAMPLE_URL, `http://127.0.0.1:${port}`).replaceAll(GATEHOUSE_URL, gatehouse.baseUrl), false);
  }, 150_000);
});
