import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/database/migrations/index.js';
import { DOCS_URL, expectShown, runAsWritten, shellBlocks } from './helpers/docs-commands.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { TEST_SERVICE_ENVIRONMENT } from './helpers/test-environment.js';

/**
 * docs/getting-started.md's commands that no other suite follows, as written:
 * "A typed client from `/docs-json`" (the types generated from a running
 * service, the snippet type-checked against them and run), "Users from the
 * command line" (every user:create, keys:rotate and client:create line on a
 * fresh data folder, then the service on that folder takes what they made) and
 * "Database and migrations" (migration:run twice on a fresh SQLite database).
 * Every output the page shows after `# → ` is matched (`…`: anything).
 */
const PAGE = 'docs/getting-started.md';
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
/** What `npm run` puts first on PATH, for the commands of a script run without npm. */
const PATH = `${resolve('node_modules/.bin')}${delimiter}${process.env.PATH}`;
const freshDatabase = (name: string) => `sqlite:${join(mkdtempSync(join(tmpdir(), `gatehouse-${name}-`)), 'app.sqlite')}`;
/** The environment the CLI reads as the service does: its own database, bcrypt at its lowest cost, no Redis. */
const cliEnvironment = (databaseUrl: string) => ({ ...process.env, ...TEST_SERVICE_ENVIRONMENT, PATH, DATABASE_URL: databaseUrl });
const withoutComment = (line: string) => line.replace(/\s+#.*$/, '');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe(`${PAGE}, "Users from the command line", followed as written`, () => {
  const databaseUrl = freshDatabase('cli-docs');
  const [usersBlock, clientsBlock] = shellBlocks(PAGE, '## Users from the command line');
  /** What a person types at the prompts (the admin's is the README's), given on standard input here. */
  const ADMIN_PASSWORD = 'admin-passphrase';
  const TYPED = { root: ADMIN_PASSWORD, 'resource-server': 'a-service-passphrase' } as Record<string, string>;
  let usersOutput: string;
  let clientsOutput: string;
  let server: RunningServer | undefined;
  afterAll(() => server?.stop());

  it('creates a user, an admin and a service account (passwords prompted: on standard input here), and the next signing key', async () => {
    const script = usersBlock
      .split('\n')
      .map((line) => {
        const prompted = /^npm run user:create -- (\S+)/.exec(line);
        return prompted ? `printf '%s\\n' '${TYPED[prompted[1]]}' | ${withoutComment(line)}` : line;
      })
      .join('\n');
    expect(script).toContain(`| npm run user:create -- root --admin`);
    usersOutput = await runAsWritten(script, { env: cliEnvironment(databaseUrl) });
    expectShown(usersOutput, usersBlock);
  }, 60_000);

  it('refuses a common password with the one line the page quotes, exit code 1, and creates nothing', async () => {
    const quoted = /a refusal is one line, such as `([^`]+)`, and exit code 1/.exec(readFileSync(PAGE, 'utf8').replace(/\s*\n\s*/g, ' '));
    expect(quoted, 'the refusal the page quotes').not.toBeNull();
    const refused = await promisify(execFile)('npm', ['run', '--silent', 'user:create', '--', 'bob'], { env: { ...cliEnvironment(databaseUrl), USER_PASSWORD: 'password123' } }).catch((error) => error);
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 1, stderr: `${quoted![1]}\n` });
  }, 30_000);

  it('registers a web app, a public native app and a machine client, printing each client_id and the secrets once', async () => {
    clientsOutput = await runAsWritten(clientsBlock, { env: cliEnvironment(databaseUrl) });
    expectShown(clientsOutput, clientsBlock);
    expect(clientsOutput.match(/^client_secret: /gm)).toHaveLength(2);
  }, 60_000);

  it('leaves a database the service takes: the user and the admin log in (the refused one does not exist), the machine client gets a token with its scope', async () => {
    expect(usersOutput && clientsOutput, 'the commands above ran').toBeTruthy();
    server = await startServer({ DATABASE_URL: databaseUrl });
    const userPassword = /USER_PASSWORD='([^']+)' npm run user:create -- alice/.exec(usersBlock)![1];
    expect((await fetch(`${server.baseUrl}/protected-admin`, { headers: { Authorization: basic('alice', userPassword) } })).status).toBe(403);
    expect((await fetch(`${server.baseUrl}/protected-admin`, { headers: { Authorization: basic('root', ADMIN_PASSWORD) } })).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/auth/me`, { headers: { Authorization: basic('bob', 'password123') } })).status).toBe(401);
    const machine = clientsOutput.slice(clientsOutput.indexOf('Created confidential client "Reports job".'));
    const [clientId, secret] = [/^client_id: +(\S+)$/m.exec(machine)![1], /^client_secret: +(\S+)$/m.exec(machine)![1]];
    const response = await fetch(`${server.baseUrl}/auth/token`, {
      method: 'POST',
      headers: { Authorization: basic(clientId, secret) },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'reports:read' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ access_token: expect.any(String), scope: 'reports:read' });
  }, 60_000);
});

describe(`${PAGE}, "Database and migrations", followed as written`, () => {
  const [block] = shellBlocks(PAGE, '## Database and migrations');
  const lines = block.split('\n').filter((line) => line.startsWith('npm run '));

  it('names only npm scripts that exist', () => {
    const named = lines.map((line) => /^npm run (\S+)/.exec(line)![1]);
    expect(named).toEqual(['migration:run', 'migration:run', 'migration:generate']);
    for (const name of named) expect(scripts[name], name).toBeDefined();
  });

  it('applies every migration to a fresh SQLite database, in order, and on a second run none', async () => {
    // The script builds first (about 40 s on two cores); the suite runs on the
    // build `npm test` made, so it runs what follows the build, as npm would
    // (node_modules/.bin first on PATH). migration:generate needs an entity change: not run.
    const build = 'npm run build && ';
    expect(scripts['migration:run'].startsWith(build)).toBe(true);
    const followed = block.slice(0, block.indexOf('npm run migration:generate'));
    const script = followed.replaceAll(/^npm run migration:run\b.*$/gm, scripts['migration:run'].slice(build.length));
    // TypeORM colours its lines where it thinks a terminal (or a CI log) shows them: the page shows the text.
    const stdout = stripVTControlCharacters(await runAsWritten(script, { env: cliEnvironment(freshDatabase('migrations-docs')) }));
    expectShown(stdout, followed);
    const [first, second] = stdout.split('No migrations are pending');
    expect(second, 'the second run').toBeDefined();
    expect([...first.matchAll(/^Migration (\w+) has been executed successfully\.$/gm)].map((match) => match[1])).toEqual(migrations.map((migration) => migration.name));
    expect(second).not.toContain('executed successfully');
  }, 60_000);
});

describe(`${PAGE}, "A typed client from \`/docs-json\`", followed as written`, () => {
  const SECTION = '## A typed client from `/docs-json`';
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  }, 60_000);
  afterAll(() => server?.stop());

  it('generates the types from the running service, type-checks the snippet against them, and the snippet gets the greeting', async () => {
    // A project of the reader's own, beside Gatehouse: openapi-fetch (and
    // openapi-typescript, for npx) are Gatehouse's devDependencies, linked in
    // rather than installed from the registry by the page's `npm install`.
    const project = mkdtempSync(join(tmpdir(), 'gatehouse-typed-client-'));
    symlinkSync(resolve('node_modules'), join(project, 'node_modules'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-app', private: true, type: 'module' }));
    mkdirSync(join(project, 'src'));

    const [commands] = shellBlocks(PAGE, SECTION);
    expect(commands).toContain('npm install openapi-fetch');
    const generate = commands.replace(/^npm install openapi-fetch.*$/m, '').replaceAll(DOCS_URL, server.baseUrl);
    const env = { ...process.env, PATH };
    await runAsWritten(generate, { cwd: project, env });
    expect(readFileSync(join(project, 'src/gatehouse.d.ts'), 'utf8')).toContain('export interface paths');

    const page = readFileSync(PAGE, 'utf8');
    const section = page.slice(page.indexOf(SECTION));
    const snippet = /```ts\n([\s\S]*?)```/.exec(section)![1];
    const shown = /\/\/ → (.+)$/m.exec(snippet);
    expect(shown, 'the snippet shows what it prints').not.toBeNull();
    writeFileSync(join(project, 'src/client.ts'), snippet.replaceAll(DOCS_URL, server.baseUrl));
    const checkCommand = /`(tsc --strict --module nodenext)`/.exec(section.replace(/\s*\n\s*/g, ' '));
    expect(checkCommand, 'the page says how the snippet is checked').not.toBeNull();
    // Type-checked, and compiled to the JavaScript that runs: any Node the project runs on.
    await runAsWritten(`npx ${checkCommand![1]} --outDir out src/client.ts`, { cwd: project, env });
    const printed = await runAsWritten(`node out/client.js`, { cwd: project, env });
    expect(printed).toBe(`${shown![1]}\n`);
  }, 60_000);
});
