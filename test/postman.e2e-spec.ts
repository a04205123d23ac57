import { readFileSync } from 'node:fs';
import newman, { type NewmanRunSummary } from 'newman';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCollection, COLLECTION_FILE } from '../postman/build-collection.mjs';
import { startServer, type RunningServer } from './helpers/server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

const ENVIRONMENT_FILE = 'postman/gatehouse.postman_environment.json';
const ADMIN = { username: 'postman-admin', password: 'parcel-route-nine' };

interface CollectionItem {
  name: string;
  request: { method: string; url: { path: string[] } };
}

function runNewman(baseUrl: string): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) =>
    newman.run(
      {
        collection: COLLECTION_FILE,
        environment: ENVIRONMENT_FILE,
        envVar: [
          { key: 'baseUrl', value: baseUrl },
          { key: 'adminUsername', value: ADMIN.username },
          { key: 'adminPassword', value: ADMIN.password },
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
  const collection = JSON.parse(readFileSync(COLLECTION_FILE, 'utf8')) as { item: CollectionItem[] };

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

  it('has a request for every operation of /docs-json', async () => {
    const document = (await (await fetch(`${server.baseUrl}/docs-json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    const requested = new Set(
      collection.item.map(({ request }) => `${request.method} /${request.url.path.join('/').replace(/\{\{(userId|other_session_id)\}\}/g, '{id}').replace(/\{\{kid\}\}/g, '{kid}')}`),
    );
    expect(documented.length).toBeGreaterThan(0);
    expect(documented.filter((operation) => !requested.has(operation))).toEqual([]);
  });

  it('passes under newman against the built service, twice on the same database', async () => {
    for (let run = 1; run <= 2; run++) {
      const summary = await runNewman(server.baseUrl);
      const failures = summary.run.failures.map((failure) => `${failure.source?.name}: ${failure.error.message}`);
      expect(failures, `run ${run}`).toEqual([]);
      expect(summary.run.stats.requests.total).toBe(collection.item.length);
      expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(40);
      expect(summary.run.stats.assertions.failed).toBe(0);
      await smtp.nextMailTo(`${summary.run.executions.find((execution) => execution.item.name === 'Set the e-mail address (with the password)')?.response?.json().email}`);
    }
  });
});
