import { setTimeout as sleep } from 'node:timers/promises';
import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEvent } from '../src/audit/entities/audit-event.entity.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';

let testApp: TestApp;
let events: Repository<AuditEvent>;

beforeAll(async () => {
  // A retention of two seconds: the purge runs every two seconds as well.
  testApp = await createTestApp({ AUDIT_RETENTION: '2s' });
  events = testApp.app.get(getRepositoryToken(AuditEvent));
});
afterAll(() => testApp.close());

/** Waits until `condition` holds (at most `limitMs`), and fails if it never does. */
async function until(condition: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  for (const started = Date.now(); !(await condition()); await sleep(50)) {
    if (Date.now() - started > limitMs) throw new Error(`the condition did not hold within ${limitMs} ms`);
  }
}

const row = (occurredAt: Date, type: string) => ({ occurredAt, type, outcome: 'success', actorId: null, subjectId: null, clientAddress: null, userAgent: null, requestId: null, details: {} });

describe('AUDIT_RETENTION', () => {
  it('purges older events on its own timer, in batches, while requests are answered; newer ones stay', async () => {
    const hourAgo = new Date(Date.now() - 3_600_000);
    // More than two batches of the purge (1000 rows each).
    const old = Array.from({ length: 2_500 }, () => row(hourAgo, 'login'));
    for (let start = 0; start < old.length; start += 50) await events.insert(old.slice(start, start + 50));
    const kept = await events.insert(row(new Date(Date.now() + 3_600_000), 'key.rotated'));
    const keptId = kept.identifiers[0].id as number;

    await until(async () => {
      await testApp.http().get('/health').expect(200);
      return (await events.countBy({ type: 'login' })) === 0;
    });
    expect(await events.existsBy({ id: keptId })).toBe(true);
  });

  it('stores what requests cause, and purges that too once it is older than the retention', async () => {
    const { user } = await registerAndLogin(testApp, 'short-lived-record');
    await until(async () => (await events.countBy({ subjectId: user.id })) >= 2);
    await until(async () => (await events.countBy({ subjectId: user.id })) === 0);
  });
});

describe('a database error while storing an event', () => {
  it('is logged and counted, never returned: the request that caused it succeeds', async () => {
    const metrics = testApp.app.get(MetricsService);
    const lost = async () => (await metrics.auditEventsLost.get()).values.find((value) => value.labels.reason === 'write-failed')?.value ?? 0;
    const before = await lost();
    await events.query('DROP TABLE audit_events');
    await testApp.http().post('/auth').send({ username: 'unrecorded', password: 'nobody-writes-this-down' }).expect(201);
    await testApp.http().post('/auth/token').type('form').send({ username: 'unrecorded', password: 'wrong-password' }).expect(401);
    await until(async () => (await lost()) >= before + 2, 5_000);
  });
});
