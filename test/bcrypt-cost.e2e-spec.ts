import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../src/users/entities/user.entity.js';
import { basic, createTestApp, type TestApp } from './helpers/app.js';
import { createTemporaryDatabase, onPostgres, type TemporaryDatabase } from './helpers/postgres.js';

/**
 * BCRYPT_ROUNDS lowered on a restart (accounts hashed at 8, the service now at
 * 4): an unknown name must still cost what a real account costs, or the time
 * of a wrong login tells which names exist; and a successful login moves the
 * account to the configured cost.
 */
const SAMPLES = 25;
let database: TemporaryDatabase | null;
let directory: string;
let databaseUrl: string;
let testApp: TestApp;

beforeAll(async () => {
  database = onPostgres() ? await createTemporaryDatabase() : null;
  directory = mkdtempSync(join(tmpdir(), 'gatehouse-cost-'));
  databaseUrl = database?.url ?? `sqlite:${join(directory, 'app.sqlite')}`;
  const before = await createTestApp({ DATABASE_URL: databaseUrl, BCRYPT_ROUNDS: '8' });
  for (const username of ['veteran', 'returning']) await before.http().post('/auth').send({ username, password: 'right-password' }).expect(201);
  await before.close();
  testApp = await createTestApp({ DATABASE_URL: databaseUrl, BCRYPT_ROUNDS: '4' });
});
afterAll(async () => {
  await testApp?.close();
  await database?.drop();
  rmSync(directory, { recursive: true, force: true });
});

const storedHash = async (username: string) => (await testApp.app.get<Repository<User>>(getRepositoryToken(User)).findOneByOrFail({ username })).passwordHash;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function timed(send: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await send();
  return performance.now() - started;
}

describe('after BCRYPT_ROUNDS changes', () => {
  it('an unknown username costs what a wrong password for an account hashed at the old cost costs', async () => {
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let sample = 0; sample < SAMPLES; sample++) {
      unknown.push(await timed(() => testApp.http().post('/auth/token').type('form').send({ username: 'no-such-user', password: 'wrong-password' }).expect(401)));
      wrong.push(await timed(() => testApp.http().post('/auth/token').type('form').send({ username: 'veteran', password: 'wrong-password' }).expect(401)));
    }
    const ratio = median(unknown) / median(wrong);
    console.log(`accounts at cost 8, service at 4: unknown user median ${median(unknown).toFixed(2)} ms, wrong password median ${median(wrong).toFixed(2)} ms, ratio ${ratio.toFixed(3)}`);
    expect(ratio).toBeGreaterThan(0.75);
    expect(ratio).toBeLessThan(1.25);
  });

  it('a successful login rehashes the password at the configured cost, and it keeps working', async () => {
    expect(await storedHash('returning')).toMatch(/^\$2[aby]\$08\$/);
    await testApp.http().post('/auth/token').type('form').send({ username: 'returning', password: 'right-password' }).expect(200);
    expect(await storedHash('returning')).toMatch(/^\$2[aby]\$04\$/);
    await testApp.http().get('/protected').set('Authorization', basic('returning', 'right-password')).expect(200);
    await testApp.http().post('/auth/token').type('form').send({ username: 'returning', password: 'right-password' }).expect(200);
    await testApp.http().post('/auth/token').type('form').send({ username: 'returning', password: 'wrong-password' }).expect(401);
  });
});
