import { readFileSync } from 'node:fs';
import type { NewmanRunSummary } from 'newman';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCollection, COLLECTION_FILE } from '../postman/build-collection.mjs';
import { startServer, type RunningServer } from './helpers/server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

const ENVIRONMENT_FILE = 'postman/gatehouse.postman_environment.json';
const ADMIN = { username: 'postman-admin', password: 'parcel-route-nine' };

interface CollectionItem {
  name: string;
  request: { method: string; url: { path: string[] }; description?: string };
  response?: { code: number; body: string }[];
}
interface CollectionFolder {
  name: string;
  description?: string;
  item: CollectionItem[];
}

/**
 * newman 6.2.2, the latest, copies every function of `fs` as it loads and reads
 * the deprecated `fs.F_OK` getters on the way (DEP0176 on Node 24). That
 * warning is newman's and comes once, at load: it is silenced for the import
 * alone, so that any other deprecation still shows (CI fails on one).
 */
async function loadNewman(): Promise<typeof import('newman')> {
  const noDeprecation = process.noDeprecation;
  process.noDeprecation = true;
  try {
    return (await import('newman')).default;
  } finally {
    process.noDeprecation = noDeprecation;
  }
}
const newman = await loadNewman();

function runNewman(baseUrl: string, account: Record<string, string> = {}): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) =>
    newman.run(
      {
        collection: COLLECTION_FILE,
        environment: ENVIRONMENT_FILE,
        envVar: [
          { key: 'baseUrl', value: baseUrl },
          { key: 'adminUsername', value: ADMIN.username },
          { key: 'adminPassword', value: ADMIN.password },
          ...Object.entries(account).map(([key, value]) => ({ key, value })),
        ],
        reporters: [],
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    ),
  );
}

describe('the Postman collection', () => {
  let server: RunningServer;
  // Where the collection's mail goes (it reads none): a real SMTP server, not the outbox of a data folder.
  let smtp: TestSmtpServer;
  const collection = JSON.parse(readFileSync(COLLECTION_FILE, 'utf8')) as { item: CollectionFolder[] };
  const requests = collection.item.flatMap((folder) => folder.item);

  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startServer({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
  });

  it('is the output of postman/build-collection.mjs (run `npm run postman:build`)', () => {
    expect(collection).toEqual(JSON.parse(JSON.stringify(buildCollection())));
  });

  it('groups the requests in folders a person reads as a client, each request with a description and an example answer', () => {
    expect(collection.item.map((folder) => folder.name)).toEqual(['Accounts', 'Tokens', 'Greetings', 'Clients', 'Admin']);
    for (const folder of collection.item) expect(folder.description, folder.name).toBeTruthy();
    for (const { name, request, response } of requests) {
      expect(request.description?.length, name).toBeGreaterThan(20);
      expect(response, name).toHaveLength(1);
      expect(response![0].code, name).toBeGreaterThanOrEqual(200);
    }
  });

  it('uses an account of your own when the environment names one, and leaves it as it was', async () => {
    const own = { username: 'my-own-account', password: 'my-own-passphrase' };
    expect((await fetch(`${server.baseUrl}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(own) })).status).toBe(201);
    const summary = await runNewman(server.baseUrl, own);
    expect(summary.run.failures.map((failure) => `${failure.source?.name}: ${failure.error.message}`)).toEqual([]);
    // Its password still works, and it is still a user: nothing that would change or delete it ran.
    const me = await fetch(`${server.baseUrl}/auth/me`, { headers: { Authorization: `Basic ${Buffer.from(`${own.username}:${own.password}`).toString('base64')}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ username: own.username, role: 'user' });
  });

  it('has a request for every operation of /docs-json', async () => {
    const document = (await (await fetch(`${server.baseUrl}/docs-json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    const requested = new Set(
      requests.map(({ request }) => `${request.method} /${request.url.path.join('/').replace(/\/\{\{passkey_id\}\}$/, (path) => (request.url.path[0] === 'users' ? '/{passkeyId}' : '/{id}')).replace(/\{\{(userId|other_session_id)\}\}/g, '{id}').replace(/\{\{kid\}\}/g, '{kid}').replace(/\{\{(client_id|registered_client_id)\}\}/g, '{client_id}')}`),
    );
    expect(documented.length).toBeGreaterThan(0);
    expect(documented.filter((operation) => !requested.has(operation))).toEqual([]);
  });

  it('passes under newman against the built service, twice on the same database', async () => {
    for (let run = 1; run <= 2; run++) {
      const summary = await runNewman(server.baseUrl);
      const failures = summary.run.failures.map((failure) => `${failure.source?.name}: ${failure.error.message}`);
      expect(failures, `run ${run}`).toEqual([]);
      expect(summary.run.stats.requests.total).toBe(requests.length);
      expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(40);
      expect(summary.run.stats.assertions.failed).toBe(0);
      // The address the collection set (its body as sent, variables filled in) is mailed a verification.
      const setEmail = summary.run.executions.find((execution) => execution.item.name === 'Set the e-mail address (with the password)');
      await smtp.nextMailTo((JSON.parse(String((setEmail?.request as { body?: { raw?: string } } | undefined)?.body?.raw)) as { email: string }).email);
    }
  });
});
