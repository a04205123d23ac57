import { describe, expect, it } from 'vitest';
import type { LeasedOutbox, Settlement } from './leased-outbox.js';
import { OutboxDispatcher, type RetryPolicy, type TryOutcome, type TryResult } from './outbox-dispatcher.js';
import type { OutboxRow } from './outbox-row.js';

const POLICY: RetryPolicy = { maxAttempts: 3, maxAgeSeconds: 3600, retryBaseSeconds: 10, retryMaxSeconds: 25 };

function rowOf(attempts: number, createdAt = new Date()): OutboxRow {
  return { id: 1, attempts, nextAttemptAt: new Date(), claimedUntil: new Date(Date.now() + 60_000), claimedBy: 'me', deliveredAt: null, failedAt: null, lastError: null, createdAt };
}

/** One due row handed out once, and what each try settled and reported. */
class Probe extends OutboxDispatcher<OutboxRow> {
  readonly settled: Settlement[] = [];
  readonly reported: TryResult[] = [];

  constructor(
    row: OutboxRow,
    private readonly outcome: () => Promise<TryOutcome>,
  ) {
    let handedOut = false;
    const outbox = {
      claimDue: async () => (handedOut ? [] : ((handedOut = true), [row])),
      settle: async (_row: OutboxRow, _instance: string, changes: Settlement) => void this.settled.push(changes),
      countPending: async () => 0,
      purgeSettled: async () => undefined,
    };
    super('probe', outbox as unknown as LeasedOutbox<OutboxRow>, () => POLICY);
  }

  protected attempt(): Promise<TryOutcome> {
    return this.outcome();
  }
  protected report(_row: OutboxRow, result: TryResult): void {
    this.reported.push(result);
  }
  protected async housekeeping(): Promise<void> {}
}

async function run(row: OutboxRow, outcome: () => Promise<TryOutcome>) {
  const probe = new Probe(row, outcome);
  probe.kick();
  await probe.idle();
  await probe.onModuleDestroy();
  return probe;
}

describe('OutboxDispatcher', () => {
  it('settles a delivered try as delivered', async () => {
    const probe = await run(rowOf(0), async () => ({ error: null }));
    expect(probe.reported).toEqual(['delivered']);
    expect(probe.settled).toEqual([{ deliveredAt: expect.any(Date), lastError: null }]);
  });

  it('tries a failure again after a wait that doubles from the base up to the maximum', async () => {
    for (const [attempts, seconds] of [
      [0, 10],
      [1, 20],
    ] as const) {
      const before = Date.now();
      const probe = await run(rowOf(attempts), async () => ({ error: 'smtp-ESOCKET' }));
      expect(probe.reported).toEqual(['retry']);
      const { nextAttemptAt, lastError } = probe.settled[0];
      expect(lastError).toBe('smtp-ESOCKET');
      expect(nextAttemptAt!.getTime() - before).toBeGreaterThanOrEqual(seconds * 1000);
      expect(nextAttemptAt!.getTime() - Date.now()).toBeLessThanOrEqual(seconds * 1000);
    }
  });

  it('gives up at the last attempt, past the maximum age, on a final outcome, and takes a throw as an internal failure', async () => {
    expect((await run(rowOf(2), async () => ({ error: 'x' }))).settled).toEqual([{ failedAt: expect.any(Date), lastError: 'x' }]);
    expect((await run(rowOf(0, new Date(Date.now() - 3_601_000)), async () => ({ error: 'x' }))).reported).toEqual(['failed']);
    expect((await run(rowOf(0), async () => ({ error: 'gone', final: true }))).reported).toEqual(['failed']);
    const thrown = await run(rowOf(0), async () => Promise.reject(new Error('boom')));
    expect(thrown.reported).toEqual(['retry']);
    expect(thrown.settled[0].lastError).toBe('internal');
  });
});
