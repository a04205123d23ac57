import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';
import { onPostgres } from './helpers/postgres.js';
import { promtool, promtoolSkipReason } from './helpers/promtool.js';

let testApp: TestApp;
const METRICS_TOKEN = randomBytes(32).toString('base64url');
const ROOT = { username: 'metrics-root', password: 'counter-of-all-things' };

beforeAll(async () => {
  testApp = await createTestApp({ METRICS_TOKEN, ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password });
});
afterAll(() => testApp.close());

async function scrape(): Promise<string> {
  const response = await testApp.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text;
}

/** The value of one sample: `name{labels}` exactly as exposed (labels in the order prom-client writes them). */
function sample(exposition: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
    if (wanted.every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return 0;
}

/** Every metric family the exposition declares. */
const familiesOf = (exposition: string) => new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name));

describe('GET /metrics', () => {
  it.each([
    ['no credentials', undefined],
    ['a wrong token', `Bearer ${randomBytes(32).toString('base64url')}`],
    ['the token with one character more', `Bearer ${METRICS_TOKEN}x`],
    ['the token under another scheme', `Basic ${METRICS_TOKEN}`],
    ['an admin’s credentials', basic(ROOT.username, ROOT.password)],
  ])('refuses %s with 401', async (_case, authorization) => {
    const request = testApp.http().get('/metrics');
    if (authorization) request.set('Authorization', authorization);
    const response = await request.expect(401);
    expect(response.body).toEqual({ statusCode: 401, message: 'GET /metrics requires the METRICS_TOKEN as a Bearer token.', error: 'Unauthorized' });
    expect(response.headers['www-authenticate']).toBe('Bearer realm="gatehouse-metrics"');
    expect(response.text).not.toContain('gatehouse_');
  });

  it('serves the Prometheus text format with the token, and is not part of the OpenAPI document', async () => {
    const exposition = await scrape();
    for (const family of ['gatehouse_http_request_duration_seconds', 'gatehouse_logins_total', 'gatehouse_password_hash_queue_depth', 'gatehouse_cache_lookups_total', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      expect(familiesOf(exposition)).toContain(family);
    }
    const document = (await testApp.http().get('/docs-json').expect(200)).body as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });

  it('counts failed logins, their requests by route template and status, and cache lookups, as they happen', async () => {
    const { password, accessToken } = await registerAndLogin(testApp, 'metered');
    const before = await scrape();
    for (let attempt = 0; attempt < 3; attempt++) await testApp.http().post('/auth/token').type('form').send({ username: 'metered', password: 'wrong-password' }).expect(401);
    await testApp.http().get('/').set('Authorization', `Bearer ${accessToken}`).expect(200);
    await testApp.http().get('/').set('Authorization', `Bearer ${accessToken}`).expect(200);
    await testApp.http().get('/no/such/path/12345').expect(404);
    const after = await scrape();

    const failures = { outcome: 'failure', method: 'password' };
    expect(sample(after, 'gatehouse_logins_total', failures) - sample(before, 'gatehouse_logins_total', failures)).toBe(3);
    const refused = { method: 'POST', route: '/auth/token', status_code: '401' };
    expect(sample(after, 'gatehouse_http_request_duration_seconds_count', refused) - sample(before, 'gatehouse_http_request_duration_seconds_count', refused)).toBe(3);
    const greeted = { method: 'GET', route: '/', status_code: '200' };
    expect(sample(after, 'gatehouse_http_request_duration_seconds_count', greeted) - sample(before, 'gatehouse_http_request_duration_seconds_count', greeted)).toBe(2);
    // Unknown paths share one label value: a scanner cannot grow the series without bound.
    expect(sample(after, 'gatehouse_http_request_duration_seconds_count', { route: '(unmatched)', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain('/no/such/path');
    // The first use of the new token verifies its signature (a miss), the second finds it verified (a hit).
    const lookups = (result: string) => {
      const labels = { cache: 'verified-access-tokens', result };
      return sample(after, 'gatehouse_cache_lookups_total', labels) - sample(before, 'gatehouse_cache_lookups_total', labels);
    };
    expect([lookups('hit'), lookups('miss')]).toEqual([1, 1]);
    expect(sample(after, 'gatehouse_security_events_total', { type: 'login', outcome: 'failure' })).toBeGreaterThanOrEqual(3);
    expect(after).not.toContain(password);
  });

  it('counts refresh rotations and reuse detections', async () => {
    const { password } = await registerAndLogin(testApp, 'metered-refresh');
    const before = await scrape();
    const tokens = await testApp.http().post('/auth/token').type('form').send({ username: 'metered-refresh', password }).expect(200);
    await testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }).expect(200);
    await testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }).expect(401);
    const after = await scrape();
    expect(sample(after, 'gatehouse_refresh_token_rotations_total') - sample(before, 'gatehouse_refresh_token_rotations_total')).toBe(1);
    expect(sample(after, 'gatehouse_refresh_token_reuse_detected_total') - sample(before, 'gatehouse_refresh_token_reuse_detected_total')).toBe(1);
  });
});

describe('the dashboard and the alert rules', () => {
  it('name only metrics the service exports', async () => {
    const exported = familiesOf(await scrape());
    // The PostgreSQL pool's gauges exist only on PostgreSQL.
    const postgresOnly = ['gatehouse_database_pool_connections', 'gatehouse_database_pool_idle', 'gatehouse_database_pool_waiting', 'gatehouse_database_pool_max'];
    for (const name of postgresOnly) expect(exported.has(name)).toBe(onPostgres());
    const named = (text: string) => new Set([...text.matchAll(/\b((?:gatehouse|nodejs|process)_[a-z0-9_]+)/g)].map(([, name]) => name.replace(/_(bucket|count|sum)$/, '')));
    for (const file of ['deploy/grafana/gatehouse-dashboard.json', 'deploy/prometheus/alerts.yml']) {
      for (const name of named(readFileSync(file, 'utf8'))) {
        if (!postgresOnly.includes(name)) expect(exported, `${file}: ${name}`).toContain(name);
      }
    }
  });
});

describe.skipIf(promtoolSkipReason())('promtool', () => {
  it('check metrics: finds nothing wrong in the exposition', async () => {
    // After some traffic, so the labelled families have samples too.
    await registerAndLogin(testApp, 'promtool-checked');
    const { status, output } = promtool(['check', 'metrics'], await scrape());
    expect(output.trim()).toBe('');
    expect(status).toBe(0);
  });

  it('check rules and test rules: the alert rules load, and fire when they should', () => {
    const checked = promtool(['check', 'rules', 'deploy/prometheus/alerts.yml']);
    expect(checked.output).toContain('SUCCESS: 6 rules found');
    expect(checked.status).toBe(0);
    const tested = promtool(['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
    expect(tested.output).toContain('SUCCESS');
    expect(tested.status).toBe(0);
  });

  it('check config: the example scrape configuration is valid', () => {
    const { status, output } = promtool(['check', 'config', '--syntax-only', 'deploy/prometheus/prometheus.yml']);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });
});
