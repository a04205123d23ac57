import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from './helpers/app.js';

// A real bcrypt cost, so the hash (not the noise) is what the clock sees.
let testApp: TestApp;
const SAMPLES = 25;

beforeAll(async () => {
  testApp = await createTestApp({ BCRYPT_ROUNDS: '8' });
  await testApp.http().post('/auth').send({ username: 'timed', password: 'right-password' }).expect(201);
});
afterAll(() => testApp.close());

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
}

async function timed(send: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await send();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Alternates the two cases, so drift in the machine's load hits both alike. */
async function compare(unknownUser: () => Promise<unknown>, wrongPassword: () => Promise<unknown>, label: string) {
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    unknown.push(await timed(unknownUser));
    wrong.push(await timed(wrongPassword));
  }
  const [unknownMedian, wrongMedian] = [median(unknown), median(wrong)];
  const ratio = unknownMedian / wrongMedian;
  console.log(`timing (${label}, bcrypt cost 8, ${SAMPLES} samples each): unknown user median ${unknownMedian.toFixed(2)} ms, wrong password median ${wrongMedian.toFixed(2)} ms, ratio ${ratio.toFixed(3)}`);
  expect(ratio).toBeGreaterThan(0.75);
  expect(ratio).toBeLessThan(1.25);
}

describe('login timing', () => {
  it('is the same for an unknown user as for a wrong password on the token endpoint', async () => {
    await compare(
      () => testApp.http().post('/auth/token').type('form').send({ username: 'no-such-user', password: 'wrong-password' }).expect(401),
      () => testApp.http().post('/auth/token').type('form').send({ username: 'timed', password: 'wrong-password' }).expect(401),
      'POST /auth/token',
    );
  });

  it('is the same for an unknown user as for a wrong password with Basic', async () => {
    await compare(
      () => testApp.http().get('/protected').set('Authorization', basic('no-such-user', 'wrong-password')).expect(401),
      () => testApp.http().get('/protected').set('Authorization', basic('timed', 'wrong-password')).expect(401),
      'Basic',
    );
  });
});
